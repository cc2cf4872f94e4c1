"""deepclaims.data.fetch against a local HTTP server on 127.0.0.1 (no other network use).

The Fashion-MNIST files served are the real ones from /usr/share/datasets/fashion-mnist/.
Those copies were re-gzipped header-only: their deflate streams and gzip trailers are the
published bytes, but the header lost the stored file name and got a 2020 mtime, so their
MD5s differ from the published ones. Putting back the published header (flag FNAME, the
2017 mtime below, the file name) gives files whose MD5s equal the published ones, which is
what is served, so the tests check fetch.py's checksum table itself.
"""
from __future__ import annotations

import functools
import gzip
import hashlib
import io
import os
import pickle
import struct
import subprocess
import sys
import tarfile
import threading
import types
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pytest

from deepclaims.data import cifar, fetch
from deepclaims.data.real import load_arrays
from deepclaims.errors import ConfigError, DataFileError

LOCAL_FASHION = Path("/usr/share/datasets/fashion-mnist")
REPO = Path(__file__).resolve().parents[1]
FOLDER, _, TABLE = fetch.SOURCES["fashion_mnist"]
# gzip mtimes of the published files (recovered by matching the published MD5s)
PUBLISHED_MTIME = {"train-images-idx3-ubyte.gz": 1504176606, "train-labels-idx1-ubyte.gz": 1504176606,
                   "t10k-images-idx3-ubyte.gz": 1504176627, "t10k-labels-idx1-ubyte.gz": 1504176627}
CORRUPT = "train-labels-idx1-ubyte.gz"


def md5(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()


def published_bytes(name: str) -> bytes | None:
    """The local copy of ``name`` as published (its header restored if need be), or None."""
    local = (LOCAL_FASHION / name).read_bytes()
    restored = (b"\x1f\x8b\x08\x08" + struct.pack("<I", PUBLISHED_MTIME[name]) + b"\x00\x03"
                + name[:-3].encode() + b"\x00" + local[10:])
    return next((b for b in (local, restored) if md5(b) == TABLE[name]), None)


class Handler(SimpleHTTPRequestHandler):
    """Serves the folder; /short/NAME announces good/NAME's full length but sends half."""

    def log_message(self, *args):
        pass

    def do_GET(self):
        self.server.requests.append(self.path)
        if self.path.startswith("/short/"):
            body = (Path(self.directory) / "good" / self.path.rsplit("/", 1)[1]).read_bytes()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body[: len(body) // 2])
            self.close_connection = True
            return
        try:
            super().do_GET()
        except (BrokenPipeError, ConnectionResetError):  # the client gave up (interrupt test)
            pass


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """(root folder, base URL, list of request paths) of a server on 127.0.0.1."""
    root = tmp_path_factory.mktemp("served")
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Handler, directory=str(root)))
    server.requests = []
    server.timeout = 5
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    thread.start()
    try:
        yield root, f"http://127.0.0.1:{server.server_address[1]}", server.requests
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@pytest.fixture(scope="module")
def fashion(served):
    """good/ holds the four published Fashion-MNIST files, bad/ the same with one byte of
    CORRUPT flipped; returns {name: published bytes}."""
    if not LOCAL_FASHION.is_dir() or not all((LOCAL_FASHION / n).is_file() for n in TABLE):
        pytest.skip(f"the real Fashion-MNIST files are not in {LOCAL_FASHION}")
    files = {n: published_bytes(n) for n in TABLE}
    if None in files.values():
        pytest.skip(f"the files in {LOCAL_FASHION} are not the published Fashion-MNIST files "
                    "(MD5 differs even with the published gzip header)")
    root = served[0]
    (root / "good").mkdir()
    (root / "bad").mkdir()
    for name, data in files.items():
        (root / "good" / name).write_bytes(data)
        if name == CORRUPT:
            bad = bytearray(data)
            bad[len(bad) // 2] ^= 0xFF
            (root / "bad" / name).write_bytes(bytes(bad))
        else:
            (root / "bad" / name).symlink_to(root / "good" / name)
    return files


@pytest.fixture(autouse=True)
def no_proxy(monkeypatch):
    for var in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("no_proxy", "127.0.0.1")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")


def leftovers(folder: Path) -> list[str]:
    """Temporary files or folders anywhere under ``folder``."""
    return [str(p) for p in folder.rglob(".*")]


def test_good_files_land_verified_and_load(served, fashion, tmp_path, capsys):
    data = fetch.fetch_set("fashion_mnist", tmp_path, mirrors=[served[1] + "/good/"], timeout=10)
    dest = tmp_path / FOLDER
    assert sorted(p.name for p in dest.iterdir()) == sorted(TABLE)
    assert all(fetch.md5_of(dest / n) == TABLE[n] for n in TABLE)
    assert (len(data.y_train), len(data.y_test)) == (60000, 10000)
    loaded = load_arrays("fashion_mnist", tmp_path)
    assert loaded.folder == dest and np.array_equal(loaded.y_test, data.y_test)
    assert data.describe() in capsys.readouterr().out
    assert not leftovers(tmp_path)


def test_corrupt_file_is_refused_on_one_line_and_nothing_partial_stays(served, fashion, tmp_path, capsys):
    root, base, _ = served
    with pytest.raises(DataFileError, match="1 of 4 files"):
        fetch.fetch_set("fashion_mnist", tmp_path, mirrors=[base + "/bad/"], timeout=10)
    out = capsys.readouterr().out
    lines = [line for line in out.splitlines() if CORRUPT in line]
    assert len(lines) == 1, out
    received = md5((root / "bad" / CORRUPT).read_bytes())
    assert f"{base}/bad/{CORRUPT}" in lines[0]
    assert TABLE[CORRUPT] in lines[0] and received in lines[0] and "refused" in lines[0]
    dest = tmp_path / FOLDER
    assert not (dest / CORRUPT).exists()
    assert sorted(p.name for p in dest.iterdir()) == sorted(set(TABLE) - {CORRUPT})
    assert not leftovers(tmp_path)


def test_second_mirror_is_tried_after_a_corrupt_first(served, fashion, tmp_path, capsys):
    base, requests = served[1], served[2]
    before = len(requests)
    fetch.fetch_set("fashion_mnist", tmp_path, mirrors=[base + "/bad/", base + "/good/"], timeout=10)
    out = capsys.readouterr().out
    assert [line for line in out.splitlines() if "refused" in line and CORRUPT in line]
    assert f"/bad/{CORRUPT}" in requests[before:] and f"/good/{CORRUPT}" in requests[before:]
    assert not any(p.startswith("/good/") and p != f"/good/{CORRUPT}" for p in requests[before:])
    assert fetch.md5_of(tmp_path / FOLDER / CORRUPT) == TABLE[CORRUPT]
    assert not leftovers(tmp_path)


def test_present_good_file_is_not_downloaded_again(served, fashion, tmp_path, capsys):
    root, base, requests = served
    dest = tmp_path / FOLDER
    dest.mkdir()
    present = "train-images-idx3-ubyte.gz"
    (dest / present).write_bytes(fashion[present])
    (dest / CORRUPT).write_bytes((root / "bad" / CORRUPT).read_bytes())  # present but wrong: replaced
    before = len(requests)
    fetch.fetch_set("fashion_mnist", tmp_path, mirrors=[base + "/good/"], timeout=10)
    assert not any(present in p for p in requests[before:])
    assert f"/good/{CORRUPT}" in requests[before:]
    assert f"{present}: already present" in capsys.readouterr().out
    assert fetch.md5_of(dest / CORRUPT) == TABLE[CORRUPT]


def test_unknown_set_name_is_a_one_line_error(tmp_path, capsys):
    assert fetch.main(["fetch", str(tmp_path / "d"), "mnist", "cifar100"]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "'cifar100'" in err and "mnist, fashion_mnist, cifar10" in err
    assert not (tmp_path / "d").exists()
    with pytest.raises(ConfigError, match="accepted: mnist, fashion_mnist, cifar10"):
        fetch.fetch(["mnist", "svhn"], tmp_path)
    with pytest.raises(ConfigError, match="cifar10 has only"):  # a misspelt override is not ignored
        fetch.fetch_set("cifar10", tmp_path, checksums={"cifar-10-python.tgz": "0" * 32})
    assert list(tmp_path.iterdir()) == []


def test_download_cut_short_leaves_nothing(served, fashion, tmp_path, capsys):
    with pytest.raises(DataFileError, match="4 of 4 files"):
        fetch.fetch_set("fashion_mnist", tmp_path, mirrors=[served[1] + "/short/"], timeout=10)
    out = capsys.readouterr().out
    assert out.count("failed") == 4, out
    assert not (tmp_path / FOLDER).exists() and not leftovers(tmp_path)


def test_interrupt_mid_download_leaves_nothing(served, fashion, tmp_path, monkeypatch):
    class Interrupting:
        def __init__(self):
            self.calls = 0

        def update(self, chunk):
            self.calls += 1
            if self.calls == 2:
                raise KeyboardInterrupt

    monkeypatch.setattr(fetch, "hashlib", types.SimpleNamespace(md5=Interrupting))
    with pytest.raises(KeyboardInterrupt):
        fetch.fetch_set("fashion_mnist", tmp_path, mirrors=[served[1] + "/good/"], timeout=10)
    assert not (tmp_path / FOLDER).exists() and not leftovers(tmp_path)


def fake_cifar_tarball(extra: str | None = None) -> bytes:
    """A small cifar-10-python.tar.gz (4 images per batch), with an ``extra`` member if given."""
    rng = np.random.default_rng(0)
    members = {f"cifar-10-batches-py/{n}": cifar.batch_bytes(rng.integers(0, 256, (4, 32, 32, 3)), [0, 1, 2, 9])
               for n in cifar.TRAIN_BATCHES + (cifar.TEST_BATCH,)}
    members["cifar-10-batches-py/batches.meta"] = pickle.dumps({"label_names": [str(i) for i in range(10)]})
    if extra:
        members[extra] = b"escaped"
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return gzip.compress(buf.getvalue(), mtime=0)


def serve_tarball(served, folder: str, data: bytes) -> str:
    (served[0] / folder).mkdir()
    (served[0] / folder / "cifar-10-python.tar.gz").write_bytes(data)
    return f"{served[1]}/{folder}/"


def test_cifar_tarball_is_verified_and_extracted(served, tmp_path, capsys):
    tarball = fake_cifar_tarball()
    mirror = serve_tarball(served, "cifar-good", tarball)
    options = dict(mirrors=[mirror], checksums={"cifar-10-python.tar.gz": md5(tarball)}, timeout=10,
                   check_counts=False)
    data = fetch.fetch_set("cifar10", tmp_path, **options)
    assert sorted(p.name for p in (tmp_path / "cifar-10-batches-py").iterdir()) == sorted(fetch.CIFAR_FILES)
    assert data.x_train.shape == (20, 32, 32, 3) and list(data.y_test) == [0, 1, 2, 9]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cifar-10-batches-py"]  # tarball deleted
    before = len(served[2])
    fetch.fetch_set("cifar10", tmp_path, **options)
    assert len(served[2]) == before and "already present" in capsys.readouterr().out


def test_cifar_tarball_with_the_published_checksum_table_is_refused(served, tmp_path, capsys):
    mirror = serve_tarball(served, "cifar-unlisted", fake_cifar_tarball())
    with pytest.raises(DataFileError, match="any mirror"):
        fetch.fetch_set("cifar10", tmp_path, mirrors=[mirror], timeout=10)
    assert "refused: MD5 expected c58f30108f718f92721af3b95e74349a" in capsys.readouterr().out
    assert list(tmp_path.iterdir()) == []


def test_cifar_member_escaping_the_folder_is_refused(served, tmp_path):
    tarball = fake_cifar_tarball(extra="../evil")
    mirror = serve_tarball(served, "cifar-evil", tarball)
    target = tmp_path / "data"
    with pytest.raises(DataFileError, match="refusing member '../evil'"):
        fetch.fetch_set("cifar10", target, mirrors=[mirror], timeout=10,
                        checksums={"cifar-10-python.tar.gz": md5(tarball)}, check_counts=False)
    assert not list(tmp_path.rglob("evil")) and list(target.iterdir()) == []


def test_command_line_fetches_fashion_mnist(served, fashion, tmp_path):
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    env.update(no_proxy="127.0.0.1", PYTHONPATH=str(REPO))
    proc = subprocess.run([sys.executable, "-m", "deepclaims.data", "fetch", str(tmp_path), "fashion_mnist",
                           "--mirror", served[1] + "/good/", "--timeout", "10"],
                          cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert f"fashion_mnist from {tmp_path / FOLDER} (60000 training, 10000 test images)" in proc.stdout
    assert all(fetch.md5_of(tmp_path / FOLDER / n) == TABLE[n] for n in TABLE)
