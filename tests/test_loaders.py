"""Real-data loaders on small files the tests write themselves (no download anywhere)."""
from __future__ import annotations

import gzip
import pickle
import struct
from pathlib import Path

import numpy as np
import pytest

from deepclaims.data import cifar, idx, real
from deepclaims.errors import ConfigError, DataFileError


def idx_file(path: Path, array: np.ndarray, magic_type: int = 0x08, compress: bool = False) -> Path:
    """Write IDX bytes by hand (not through the module under test)."""
    body = bytes([0, 0, magic_type, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    body += np.ascontiguousarray(array, dtype=">u1" if magic_type == 0x08 else None).tobytes()
    path.write_bytes(gzip.compress(body) if compress else body)
    return path


def images(n: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, size=(n, 28, 28), dtype=np.uint8)


def labels(n: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 10, size=n, dtype=np.uint8)


def write_mnist(folder: Path, n_train=12, n_test=5, compress=False) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    sfx = ".gz" if compress else ""
    idx_file(folder / f"train-images-idx3-ubyte{sfx}", images(n_train, 1), compress=compress)
    idx_file(folder / f"train-labels-idx1-ubyte{sfx}", labels(n_train, 1), compress=compress)
    idx_file(folder / f"t10k-images-idx3-ubyte{sfx}", images(n_test, 2), compress=compress)
    idx_file(folder / f"t10k-labels-idx1-ubyte{sfx}", labels(n_test, 2), compress=compress)
    return folder


# ---------------------------------------------------------------- IDX

@pytest.mark.parametrize("compress", [False, True], ids=["raw", "gzip"])
def test_idx_valid_files_round_trip(tmp_path, compress):
    x, y = images(7), labels(7)
    xi = idx_file(tmp_path / "i", x, compress=compress)
    yi = idx_file(tmp_path / "l", y, compress=compress)
    got_x, got_y = idx.read_pair(xi, yi, expect_count=7)
    np.testing.assert_array_equal(got_x, x)
    np.testing.assert_array_equal(got_y, y)
    assert got_x.dtype == np.uint8 and got_y.dtype == np.int64


def test_idx_encoder_matches_hand_written_bytes(tmp_path):
    x = images(3)
    assert idx.idx_bytes(x) == idx_file(tmp_path / "i", x).read_bytes()


def test_idx_other_types_big_endian(tmp_path):
    a = np.arange(6, dtype=np.float32).reshape(2, 3)
    p = tmp_path / "f"
    p.write_bytes(bytes([0, 0, 0x0D, 2]) + struct.pack(">2I", 2, 3) + a.astype(">f4").tobytes())
    np.testing.assert_array_equal(idx.read_idx(p), a)


@pytest.mark.parametrize("compress", [False, True], ids=["raw", "gzip"])
def test_idx_truncated_body_names_file(tmp_path, compress):
    full = idx.idx_bytes(images(4))
    p = tmp_path / ("short.gz" if compress else "short")
    p.write_bytes(gzip.compress(full[:-10]) if compress else full[:-10])
    with pytest.raises(DataFileError, match=r"short.*truncated.*needs 3136 data bytes, file holds 3126"):
        idx.read_images(p)


def test_idx_truncated_header(tmp_path):
    p = tmp_path / "hdr"
    p.write_bytes(bytes([0, 0, 8, 3]) + struct.pack(">I", 4))
    with pytest.raises(DataFileError, match=r"hdr.*truncated IDX header"):
        idx.read_images(p)


def test_idx_truncated_gzip_stream(tmp_path):
    blob = gzip.compress(idx.idx_bytes(images(4)))
    p = tmp_path / "cut.gz"
    p.write_bytes(blob[: len(blob) // 2])
    with pytest.raises(DataFileError, match=r"cut\.gz.*gzip"):
        idx.read_images(p)


def test_idx_named_gz_but_not_gzip(tmp_path):
    p = tmp_path / "plain.gz"
    p.write_bytes(idx.idx_bytes(labels(3)))
    with pytest.raises(DataFileError, match=r"plain\.gz.*not gzip"):
        idx.read_labels(p)


def test_idx_wrong_magic_labels_given_as_images(tmp_path):
    p = idx_file(tmp_path / "labels-as-images", labels(5))
    with pytest.raises(DataFileError, match=r"labels-as-images.*wrong magic number 0x00000801, expected 0x00000803"):
        idx.read_images(p)


def test_idx_wrong_magic_garbage(tmp_path):
    p = tmp_path / "png"
    p.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(100))
    with pytest.raises(DataFileError, match=r"png.*wrong magic"):
        idx.read_labels(p)
    with pytest.raises(DataFileError, match=r"png.*not an IDX file"):
        idx.read_idx(p)


def test_idx_unknown_type_byte(tmp_path):
    p = tmp_path / "t"
    p.write_bytes(bytes([0, 0, 0x07, 1]) + struct.pack(">I", 2) + b"\x00\x01")
    with pytest.raises(DataFileError, match=r"unknown IDX type byte 0x07"):
        idx.read_idx(p)


def test_idx_trailing_bytes(tmp_path):
    p = tmp_path / "long"
    p.write_bytes(idx.idx_bytes(labels(3)) + b"\x00\x00")
    with pytest.raises(DataFileError, match=r"long.*2 unexpected bytes"):
        idx.read_labels(p)


def test_idx_label_count_mismatch_names_both_files(tmp_path):
    xi = idx_file(tmp_path / "imgs", images(6))
    yi = idx_file(tmp_path / "labs", labels(5))
    with pytest.raises(DataFileError, match=r"imgs holds 6 images but .*labs holds 5 labels"):
        idx.read_pair(xi, yi)


def test_idx_label_out_of_range(tmp_path):
    p = idx_file(tmp_path / "labs", np.array([0, 3, 12], dtype=np.uint8))
    with pytest.raises(DataFileError, match=r"labs.*labels must lie in 0..9, found 0..12"):
        idx.read_labels(p)


def test_idx_wrong_image_shape_and_count(tmp_path):
    xi = idx_file(tmp_path / "small", np.zeros((2, 8, 8), np.uint8))
    yi = idx_file(tmp_path / "l", labels(2))
    with pytest.raises(DataFileError, match=r"small.*8x8, expected 28x28"):
        idx.read_pair(xi, yi)
    xi = idx_file(tmp_path / "few", images(2))
    with pytest.raises(DataFileError, match=r"few.*holds 2 images, expected 60000"):
        idx.read_pair(xi, yi, expect_count=60000)


# ---------------------------------------------------------------- data-dir discovery

@pytest.mark.parametrize("layout,name", [("fashion-mnist", "fashion_mnist"), ("FashionMNIST/raw", "fashion_mnist"),
                                         ("mnist", "mnist"), ("MNIST/raw", "mnist")])
@pytest.mark.parametrize("compress", [False, True], ids=["raw", "gzip"])
def test_load_real_finds_layouts(tmp_path, layout, name, compress):
    write_mnist(tmp_path / layout, compress=compress)
    split = real.load_real(name, tmp_path, check_counts=False)
    assert split.x_train.shape == (12, 784) and split.x_test.shape == (5, 784)
    assert float(split.x_train.max()) <= 1.0 and split.y_train.dtype.is_floating_point is False
    np.testing.assert_allclose(split.x_train[0].numpy() * 255, images(12, 1)[0].ravel(), atol=1e-3)
    raw = real.load_real(name, tmp_path, scale=1.0, check_counts=False)
    assert float(raw.x_train.max()) > 1.0


def test_load_real_absent_returns_none(tmp_path):
    assert real.load_real("fashion_mnist", None) is None
    assert real.load_real("fashion_mnist", tmp_path) is None
    write_mnist(tmp_path / "mnist")  # MNIST present does not stand in for Fashion-MNIST
    assert real.load_real("fashion_mnist", tmp_path, check_counts=False) is None
    assert real.load_real("cifar10", tmp_path) is None


def test_load_real_incomplete_folder(tmp_path):
    folder = write_mnist(tmp_path / "fashion-mnist")
    (folder / "t10k-labels-idx1-ubyte").unlink()
    with pytest.raises(DataFileError, match=r"fashion-mnist.*missing t10k-labels-idx1-ubyte"):
        real.load_real("fashion_mnist", tmp_path, check_counts=False)


def test_load_real_checks_published_counts(tmp_path):
    write_mnist(tmp_path / "mnist")
    with pytest.raises(DataFileError, match=r"train-images-idx3-ubyte.*holds 12 images, expected 60000"):
        real.load_real("mnist", tmp_path)


def test_load_real_mismatch_inside_data_dir(tmp_path):
    folder = write_mnist(tmp_path / "mnist", compress=True)
    idx_file(folder / "t10k-labels-idx1-ubyte.gz", labels(4), compress=True)
    with pytest.raises(DataFileError, match=r"t10k-images-idx3-ubyte\.gz holds 5 images but .* holds 4 labels"):
        real.load_real("mnist", tmp_path, check_counts=False)


def test_load_real_unknown_name(tmp_path):
    with pytest.raises(ConfigError, match="accepted: mnist, fashion_mnist, cifar10"):
        real.load_real("svhn", tmp_path)


# ---------------------------------------------------------------- CIFAR-10

def cifar_images(n, seed=0):
    return np.random.default_rng(seed).integers(0, 256, size=(n, 32, 32, 3), dtype=np.uint8)


def write_cifar(folder: Path, n=4) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for i, name in enumerate(cifar.TRAIN_BATCHES + (cifar.TEST_BATCH,)):
        (folder / name).write_bytes(cifar.batch_bytes(cifar_images(n, i), labels(n, i)))
    return folder


def test_cifar_layout_is_channel_planes(tmp_path):
    """The published layout: 1024 red values, then green, then blue, each row-major."""
    img = cifar_images(1)
    data = np.concatenate([img[0, :, :, c].ravel() for c in range(3)])[None, :]
    p = tmp_path / "b"
    p.write_bytes(pickle.dumps({b"data": data, b"labels": [3]}, protocol=2))
    x, y = cifar.read_batch(p, expect_count=1)
    np.testing.assert_array_equal(x, img)
    assert y.tolist() == [3]


def test_cifar_valid_folder(tmp_path):
    write_cifar(tmp_path / "cifar-10-batches-py")
    data = real.load_arrays("cifar10", tmp_path, check_counts=False)
    assert data.x_train.shape == (20, 32, 32, 3) and data.x_test.shape == (4, 32, 32, 3)
    np.testing.assert_array_equal(data.x_train[:4], cifar_images(4, 0))
    split = real.load_real("cifar10", tmp_path, check_counts=False)
    assert split.x_train.shape == (20, 3072)


def test_cifar_str_keys_accepted(tmp_path):
    p = tmp_path / "b"
    data = cifar_images(2).transpose(0, 3, 1, 2).reshape(2, -1)
    p.write_bytes(pickle.dumps({"data": data, "labels": [1, 2]}))
    assert cifar.read_batch(p, expect_count=2)[1].tolist() == [1, 2]


def test_cifar_truncated_batch(tmp_path):
    folder = write_cifar(tmp_path / "cifar-10-batches-py")
    blob = (folder / "data_batch_3").read_bytes()
    (folder / "data_batch_3").write_bytes(blob[: len(blob) - 40])
    with pytest.raises(DataFileError, match=r"data_batch_3.*not a readable CIFAR-10 python batch"):
        real.load_arrays("cifar10", tmp_path, check_counts=False)


def test_cifar_count_mismatch_and_expected_size(tmp_path):
    p = tmp_path / "test_batch"
    p.write_bytes(cifar.batch_bytes(cifar_images(3), [1, 2]))
    with pytest.raises(DataFileError, match=r"test_batch.*3 images but 2 labels"):
        cifar.read_batch(p, expect_count=None)
    p.write_bytes(cifar.batch_bytes(cifar_images(3), [1, 2, 3]))
    with pytest.raises(DataFileError, match=r"test_batch.*holds 3 images, expected 10000"):
        cifar.read_batch(p)


def test_cifar_wrong_shape_and_labels(tmp_path):
    p = tmp_path / "b"
    p.write_bytes(pickle.dumps({b"data": np.zeros((2, 100), np.uint8), b"labels": [0, 1]}))
    with pytest.raises(DataFileError, match=r"b.*uint8 \[N, 3072\]"):
        cifar.read_batch(p, None)
    p.write_bytes(cifar.batch_bytes(cifar_images(2), [0, 10]))
    with pytest.raises(DataFileError, match=r"labels must lie in 0..9"):
        cifar.read_batch(p, None)
    p.write_bytes(pickle.dumps({b"pixels": 1}))
    with pytest.raises(DataFileError, match=r"needs 'data' and 'labels'"):
        cifar.read_batch(p, None)


def test_cifar_refuses_code_in_pickle(tmp_path):
    class Evil:
        def __reduce__(self):
            return (print, ("pwned",))
    p = tmp_path / "data_batch_1"
    p.write_bytes(pickle.dumps({b"data": Evil(), b"labels": []}))
    with pytest.raises(DataFileError, match=r"data_batch_1.*refusing to load builtins.print"):
        cifar.read_batch(p, None)


def test_cifar_incomplete_folder(tmp_path):
    folder = write_cifar(tmp_path / "cifar-10-batches-py")
    (folder / "test_batch").unlink()
    with pytest.raises(DataFileError, match=r"lacks test_batch"):
        real.load_arrays("cifar10", tmp_path, check_counts=False)


def test_mnist_files_directly_in_the_data_dir_are_read_as_mnist(tmp_path):
    write_mnist(tmp_path)
    data = real.load_arrays("mnist", tmp_path, check_counts=False)
    assert data.folder == tmp_path / "." and data.x_train.shape == (12, 28, 28)
    assert real.load_arrays("fashion_mnist", tmp_path, check_counts=False) is None
