"""Download MNIST, Fashion-MNIST and CIFAR-10 into the layout ``deepclaims.data.real`` reads.

    python -m deepclaims.data fetch DIR mnist fashion_mnist cifar10 [--mirror URL]...

gives ``DIR/mnist/`` and ``DIR/fashion-mnist/`` (the four IDX ``.gz`` files each) and
``DIR/cifar-10-batches-py/`` (data_batch_1..5, test_batch, batches.meta).

Mirrors and MD5 checksums are the ones torchvision carries (``torchvision/datasets/mnist.py``
and ``cifar.py``): for MNIST the PyTorch ossci-datasets S3 mirror, then Yann LeCun's site; for
Fashion-MNIST Zalando Research's S3 bucket (the MD5s its README publishes); for CIFAR-10
Krizhevsky's Toronto page.

Each file is downloaded to a temporary file in its folder, checked against its MD5, then
renamed into place; the temporary file never outlives the attempt (also on Ctrl-C). A file
failing its checksum, arriving short or unreachable is reported on one line and the next
mirror tried. A file already present with the right MD5 is not downloaded again (so a fetch
resumes). The CIFAR-10 tarball is verified, its members checked (plain files and folders
inside the target only), extracted to a temporary folder renamed into place, then deleted
(also when refused); an existing ``cifar-10-batches-py`` folder is only validated.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import sys
import tarfile
import tempfile
import urllib.request
from http.client import HTTPException
from pathlib import Path
from typing import Mapping, Sequence

from deepclaims.data import real
from deepclaims.errors import ConfigError, DataFileError

_IDX = ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
        "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")
# set name -> (folder under DIR, mirrors (base URLs) tried in order, {file name: MD5})
SOURCES = {
    "mnist": ("mnist", ("https://ossci-datasets.s3.amazonaws.com/mnist/", "http://yann.lecun.com/exdb/mnist/"),
              dict(zip(_IDX, ("f68b3c2dcbeaaa9fbdd348bbdeb94873", "d53e105ee54ea40749a09fcbcd1e9432",
                              "9fb629c4189551a2d022fa330f9573f3", "ec29112dd5afa0611ce80d1b7f02629c")))),
    "fashion_mnist": ("fashion-mnist", ("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",),
                      dict(zip(_IDX, ("8d4fb7e6c68d591d4c3dfef9ec88bf0d", "25c81989df183df01b3e8a0aad5dffbe",
                                      "bef4ecab320f06d8554ea6380940ec79", "bb300cfdad3c16e7a12a480ee83cd310")))),
    "cifar10": ("cifar-10-batches-py", ("https://www.cs.toronto.edu/~kriz/",),
                {"cifar-10-python.tar.gz": "c58f30108f718f92721af3b95e74349a"}),
}
CIFAR_FILES = tuple(f"data_batch_{i}" for i in range(1, 6)) + ("test_batch", "batches.meta")
_CHUNK = 1 << 20


def md5_of(path: Path) -> str:
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "md5").hexdigest()


def _try_download(url: str, dest: Path, md5: str, timeout: float) -> bool:
    """``url`` to ``dest`` through a temporary file; True once it is in place with ``md5``.
    Prints one line either way."""
    print(f"{dest.name}: {url} ... ", end="", flush=True)
    fd, tmp = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.name}.", suffix=".part")
    try:
        digest, size = hashlib.md5(), 0
        with os.fdopen(fd, "wb") as out, urllib.request.urlopen(url, timeout=timeout) as resp:
            while chunk := resp.read(_CHUNK):
                digest.update(chunk)
                out.write(chunk)
                size += len(chunk)
            length = resp.headers.get("Content-Length")
        if length is not None and int(length) != size:
            print(f"failed: connection closed after {size} of {length} bytes", flush=True)
            return False
        if digest.hexdigest() != md5:
            print(f"refused: MD5 expected {md5}, received {digest.hexdigest()}", flush=True)
            return False
        os.replace(tmp, dest)
        print(f"ok ({size} bytes, MD5 verified)", flush=True)
        return True
    except (OSError, HTTPException, ValueError) as exc:
        print(f"failed: {type(exc).__name__}: {exc}", flush=True)
        return False
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def _get(dest: Path, md5: str, mirrors: Sequence[str], timeout: float) -> bool:
    if dest.is_file():
        if (have := md5_of(dest)) == md5:
            print(f"{dest.name}: already present, MD5 verified, not downloaded", flush=True)
            return True
        print(f"{dest.name}: present but its MD5 {have} is not {md5}; downloading again", flush=True)
    return any(_try_download(base.rstrip("/") + "/" + dest.name, dest, md5, timeout) for base in mirrors)


def _extract_cifar(tarball: Path, dest: Path) -> None:
    """Extract ``tarball``'s ``dest.name`` folder to ``dest`` via a temporary folder."""
    tmp = Path(tempfile.mkdtemp(dir=dest.parent, prefix=f".{dest.name}."))
    try:
        with tarfile.open(tarball, "r:gz") as tar:
            for m in tar.getmembers():
                inside = (tmp / m.name).resolve().is_relative_to(tmp.resolve())
                if not (m.isfile() or m.isdir()) or os.path.isabs(m.name) or not inside:
                    raise DataFileError(f"{tarball}: refusing member {m.name!r} (only plain files and "
                                        "folders inside the target are extracted)")
            tar.extractall(tmp, **({"filter": "data"} if hasattr(tarfile, "data_filter") else {}))
        if missing := [n for n in CIFAR_FILES if not (tmp / dest.name / n).is_file()]:
            raise DataFileError(f"{tarball}: lacks {dest.name}/{', '.join(missing)}")
        os.rename(tmp / dest.name, dest)
    except (tarfile.TarError, EOFError, OSError) as exc:
        raise DataFileError(f"{tarball}: cannot be extracted ({exc})") from exc
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def fetch_set(name: str, data_dir: Path | str, mirrors: Sequence[str] | None = None,
              checksums: Mapping[str, str] | None = None, timeout: float = 60.0,
              check_counts: bool = True) -> real.RealData:
    """Download the set ``name`` into ``data_dir``; return it as ``real.load_arrays`` loads it.
    ``mirrors`` (base URLs, tried in order) replace the published ones; ``checksums`` ({file
    name: MD5}) override entries of the table. DataFileError when a file could not be had
    from any mirror or the result does not load."""
    _check_names([name])
    folder, default_mirrors, table = SOURCES[name]
    if set(checksums or ()) - set(table):
        raise ConfigError(f"checksums for {sorted(set(checksums) - set(table))}: {name} has only {list(table)}")
    table = {**table, **(checksums or {})}
    mirrors = tuple(mirrors or default_mirrors)
    root = Path(data_dir)
    dest = root / folder
    if name == "cifar10":
        root.mkdir(parents=True, exist_ok=True)
        if dest.exists():
            print(f"{dest}: already present, not downloaded", flush=True)
        else:
            (tar_name, md5), = table.items()
            try:
                if not _get(root / tar_name, md5, mirrors, timeout):
                    raise DataFileError(f"{name}: {tar_name} could not be fetched from any mirror")
                _extract_cifar(root / tar_name, dest)
            finally:
                (root / tar_name).unlink(missing_ok=True)
    else:
        dest.mkdir(parents=True, exist_ok=True)
        try:
            failed = [f for f, md5 in table.items() if not _get(dest / f, md5, mirrors, timeout)]
        finally:
            if not any(dest.iterdir()):
                dest.rmdir()
        if failed:
            raise DataFileError(f"{name}: {len(failed)} of {len(table)} files could not be fetched from "
                                f"any mirror (see above); verified files were kept, rerun to resume")
    data = real.load_arrays(name, root, check_counts)
    if data is None:
        raise DataFileError(f"{name}: fetched, but not found under {root}")
    print(data.describe(), flush=True)
    return data


def _check_names(names: Sequence[str]) -> None:
    if unknown := [n for n in names if n not in SOURCES]:
        raise ConfigError(f"unknown data set {', '.join(map(repr, unknown))}; accepted: {', '.join(SOURCES)}")


def fetch(names: Sequence[str], data_dir: Path | str, **options) -> list[real.RealData]:
    """``fetch_set`` for each of ``names``, all names checked before anything is downloaded."""
    _check_names(names)
    return [fetch_set(n, data_dir, **options) for n in names]


def main(argv: Sequence[str] | None = None) -> int:
    """``fetch DIR NAME... [--mirror URL]... [--timeout S]``: 0 when every set was fetched,
    1 when one failed, 2 for bad arguments (an unknown set name included)."""
    import argparse
    parser = argparse.ArgumentParser(prog="python -m deepclaims.data")
    cmd = parser.add_subparsers(dest="command", required=True).add_parser(
        "fetch", help="download real data sets into DIR (the folder --data-dir names)")
    cmd.add_argument("dir", type=Path, metavar="DIR")
    cmd.add_argument("names", nargs="+", metavar="NAME", help=", ".join(SOURCES))
    cmd.add_argument("--mirror", action="append", metavar="URL", help="base URL replacing the published mirrors")
    cmd.add_argument("--timeout", type=float, default=60.0, help="seconds per network operation")
    args = parser.parse_args(argv)
    try:
        _check_names(args.names)
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    status = 0
    for name in dict.fromkeys(args.names):
        try:
            fetch_set(name, args.dir, mirrors=args.mirror, timeout=args.timeout)
        except DataFileError as exc:
            print(f"error: {exc}", file=sys.stderr)
            status = 1
        except KeyboardInterrupt:
            print(f"\ninterrupted during {name}; no partial file was left", file=sys.stderr)
            return 130
    return status
