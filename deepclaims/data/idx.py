"""IDX files (the MNIST and Fashion-MNIST format), raw or gzip-compressed.

Format (LeCun's MNIST page): two zero bytes, one type byte (0x08 unsigned byte, 0x09
signed byte, 0x0B int16, 0x0C int32, 0x0D float32, 0x0E float64), one byte giving the
number of dimensions, then one big-endian uint32 per dimension, then the values in C
order, big-endian. Image files are 3-D (count, rows, cols), type 0x08, magic 0x00000803
(2051); label files are 1-D, type 0x08, magic 0x00000801 (2049).

Every problem (a corrupt gzip stream, a truncated body, a wrong magic number, extra
bytes, a count mismatch between images and labels) raises DataFileError naming the
file and saying what was wrong, because a silently short data set would bias a claim.
"""
from __future__ import annotations

import gzip
import struct
import zlib
from pathlib import Path

import numpy as np

from deepclaims.errors import DataFileError

IMAGES_MAGIC = 0x00000803
LABELS_MAGIC = 0x00000801
GZIP_MAGIC = b"\x1f\x8b"

# IDX type byte -> big-endian numpy dtype
IDX_TYPES = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}


def read_bytes(path: Path) -> bytes:
    """The file's content, decompressed when it is gzip (decided by its first bytes,
    not its name, so a renamed file still loads and a mislabelled one is caught)."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise DataFileError(f"{path}: cannot be read ({exc.strerror or exc})") from exc
    if raw[:2] != GZIP_MAGIC:
        if path.suffix == ".gz":
            raise DataFileError(f"{path}: named .gz but is not gzip-compressed "
                                f"(first bytes {raw[:2].hex() or 'none'}, expected 1f8b)")
        return raw
    try:
        return gzip.decompress(raw)
    except (OSError, EOFError, zlib.error) as exc:
        raise DataFileError(f"{path}: corrupt or truncated gzip stream ({exc})") from exc


def parse_idx(data: bytes, path: Path, expect_magic: int | None = None) -> np.ndarray:
    """Decode IDX bytes into an array (native byte order); ``path`` is for messages only."""
    if len(data) < 4:
        raise DataFileError(f"{path}: truncated IDX header ({len(data)} bytes, need at least 4)")
    magic = struct.unpack(">I", data[:4])[0]
    if expect_magic is not None and magic != expect_magic:
        raise DataFileError(f"{path}: wrong magic number 0x{magic:08x}, expected 0x{expect_magic:08x} "
                            f"({'images' if expect_magic == IMAGES_MAGIC else 'labels'} file)")
    if data[0] != 0 or data[1] != 0:
        raise DataFileError(f"{path}: not an IDX file (magic 0x{magic:08x} must start with two zero bytes)")
    type_code, ndim = data[2], data[3]
    if type_code not in IDX_TYPES:
        raise DataFileError(f"{path}: unknown IDX type byte 0x{type_code:02x}; accepted: "
                            + ", ".join(f"0x{c:02x}" for c in IDX_TYPES))
    if ndim < 1:
        raise DataFileError(f"{path}: IDX header declares 0 dimensions")
    header = 4 + 4 * ndim
    if len(data) < header:
        raise DataFileError(f"{path}: truncated IDX header ({len(data)} bytes, the {ndim} dimensions "
                            f"need {header})")
    shape = struct.unpack(f">{ndim}I", data[4:header])
    dtype = IDX_TYPES[type_code]
    expected = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    body = len(data) - header
    if body < expected:
        raise DataFileError(f"{path}: truncated: shape {tuple(shape)} needs {expected} data bytes, "
                            f"file holds {body}")
    if body > expected:
        raise DataFileError(f"{path}: {body - expected} unexpected bytes after the {tuple(shape)} data")
    return np.frombuffer(data, dtype=dtype, offset=header).reshape(shape).astype(dtype.newbyteorder("="))


def read_idx(path: Path, expect_magic: int | None = None) -> np.ndarray:
    """Read one IDX file (raw or gzip), checking its magic number when one is expected."""
    return parse_idx(read_bytes(path), Path(path), expect_magic)


def read_images(path: Path) -> np.ndarray:
    """An IDX images file: uint8 array [count, rows, cols]."""
    return read_idx(path, IMAGES_MAGIC)


def read_labels(path: Path, n_classes: int = 10) -> np.ndarray:
    """An IDX labels file: int64 array [count], every label in 0..n_classes-1."""
    labels = read_idx(path, LABELS_MAGIC).astype(np.int64)
    if labels.size and (labels.min() < 0 or labels.max() >= n_classes):
        raise DataFileError(f"{path}: labels must lie in 0..{n_classes - 1}, found "
                            f"{int(labels.min())}..{int(labels.max())}")
    return labels


def read_pair(images_path: Path, labels_path: Path, expect_count: int | None = None,
              image_shape: tuple[int, int] = (28, 28)) -> tuple[np.ndarray, np.ndarray]:
    """Images and their labels, checked against each other and against the expected size."""
    images = read_images(images_path)
    labels = read_labels(labels_path)
    if images.shape[1:] != tuple(image_shape):
        raise DataFileError(f"{images_path}: images are {images.shape[1]}x{images.shape[2]}, "
                            f"expected {image_shape[0]}x{image_shape[1]}")
    if images.shape[0] != labels.shape[0]:
        raise DataFileError(f"{images_path} holds {images.shape[0]} images but {labels_path} holds "
                            f"{labels.shape[0]} labels; the two files must have equal counts")
    if expect_count is not None and images.shape[0] != expect_count:
        raise DataFileError(f"{images_path}: holds {images.shape[0]} images, expected {expect_count}")
    return images, labels


def idx_bytes(array: np.ndarray) -> bytes:
    """Encode an array as IDX bytes (used to write data sets for tests and caches)."""
    array = np.asarray(array)
    codes = {np.dtype(v).newbyteorder("="): k for k, v in IDX_TYPES.items()}
    key = array.dtype.newbyteorder("=")
    if key not in codes:
        raise DataFileError(f"cannot encode dtype {array.dtype} as IDX; accepted: "
                            + ", ".join(str(np.dtype(v).newbyteorder("=")) for v in IDX_TYPES.values()))
    code = codes[key]
    header = bytes([0, 0, code, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    return header + np.ascontiguousarray(array, dtype=IDX_TYPES[code]).tobytes()
