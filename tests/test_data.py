"""Data access without internet: cache, mirror folder, mirror URL, corruption, interruption."""

from __future__ import annotations

import http.server
import io
import tarfile
import threading
import zipfile
from pathlib import Path

import pytest

from helpers import data


def make_tar_gz(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, content in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(content)
            archive.addfile(info, io.BytesIO(content))
    return buffer.getvalue()


def make_zip(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return buffer.getvalue()


GOOD_TAR = make_tar_gz({"toy/train/a.txt": b"a good review " * 50, "toy/README": b"toy"})
GOOD_ZIP = make_zip({"pairs.txt": b"Go.\tVa !\nHi.\tSalut.\n"})


@pytest.fixture
def toy(tmp_path, monkeypatch):
    """A dataset whose official URL is unreachable, with a fresh cache and no mirror."""
    monkeypatch.setenv(data.CACHE_ENV, str(tmp_path / "cache"))
    monkeypatch.delenv(data.MIRROR_ENV, raising=False)
    dataset = data.Dataset(
        name="toy",
        filename="toy_v1.tar.gz",
        url="http://127.0.0.1:9/toy_v1.tar.gz",  # the discard port: nothing answers
        description="a toy archive",
        used_by="the tests",
    )
    return dataset


class Server:
    """A local HTTP server on 127.0.0.1 serving given bodies, optionally cut short."""

    def __init__(self, files: dict[str, bytes], truncate: int | None = None):
        files_, truncate_ = files, truncate

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802
                body = files_.get(self.path.lstrip("/"))
                if body is None:
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body if truncate_ is None else body[:truncate_])

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".part"))


def test_offline_with_nothing_gives_a_clear_message(toy):
    with pytest.raises(data.DataUnavailableError) as error:
        data.fetch(toy, timeout=2)
    message = str(error.value)
    assert "toy_v1.tar.gz" in message
    assert toy.url in message
    assert str(data.cache_dir() / "toy_v1.tar.gz") in message
    assert data.MIRROR_ENV in message
    # IPython shows the message alone, not a traceback
    assert error.value._render_traceback_() == [f"DataUnavailableError: {message}"]


def test_mirror_folder_hit_is_copied_and_verified(toy, tmp_path, monkeypatch, capsys):
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    (mirror / toy.filename).write_bytes(GOOD_TAR)
    monkeypatch.setenv(data.MIRROR_ENV, str(mirror))
    path = data.fetch(toy)
    assert path == data.cache_dir() / toy.filename
    assert path.read_bytes() == GOOD_TAR
    assert "mirror folder" in capsys.readouterr().out
    assert (mirror / toy.filename).read_bytes() == GOOD_TAR  # the mirror is left as it was


def test_cache_hit_needs_no_source(toy, tmp_path, monkeypatch):
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    (mirror / toy.filename).write_bytes(GOOD_TAR)
    monkeypatch.setenv(data.MIRROR_ENV, str(mirror))
    first = data.fetch(toy)
    (mirror / toy.filename).unlink()
    monkeypatch.delenv(data.MIRROR_ENV)
    assert data.fetch(toy, timeout=2) == first  # nothing reachable, still found


def test_a_copy_put_in_the_cache_by_hand_is_used(toy):
    data.cache_dir().mkdir(parents=True)
    (data.cache_dir() / toy.filename).write_bytes(GOOD_TAR)
    assert data.fetch(toy, timeout=2).read_bytes() == GOOD_TAR


def test_mirror_url_hit(toy, monkeypatch):
    with Server({toy.filename: GOOD_TAR}) as server:
        monkeypatch.setenv(data.MIRROR_ENV, server.url + "/")
        path = data.fetch(toy)
    assert path.read_bytes() == GOOD_TAR


def test_official_url_is_the_last_resort(toy, monkeypatch):
    with Server({"toy_v1.tar.gz": GOOD_TAR}) as server:
        official = data.Dataset(**{**toy.__dict__, "url": f"{server.url}/toy_v1.tar.gz"})
        assert data.fetch(official).read_bytes() == GOOD_TAR


def test_corrupted_cached_file_is_moved_aside_and_replaced(toy, tmp_path, monkeypatch, capsys):
    cached = data.cache_dir() / toy.filename
    cached.parent.mkdir(parents=True)
    cached.write_bytes(GOOD_TAR[: len(GOOD_TAR) // 2])  # a half file from an old crash
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    (mirror / toy.filename).write_bytes(GOOD_TAR)
    monkeypatch.setenv(data.MIRROR_ENV, str(mirror))
    assert data.fetch(toy).read_bytes() == GOOD_TAR
    out = capsys.readouterr().out
    assert "not usable" in out and "moved aside" in out
    assert cached.with_name(cached.name + ".corrupt").is_file()


def test_corrupted_file_changed_after_verification_is_caught(toy, tmp_path, monkeypatch):
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    (mirror / toy.filename).write_bytes(GOOD_TAR)
    monkeypatch.setenv(data.MIRROR_ENV, str(mirror))
    path = data.fetch(toy)
    damaged = bytearray(GOOD_TAR)
    damaged[len(damaged) // 2] ^= 0xFF  # one flipped byte: the gzip CRC catches it
    path.write_bytes(bytes(damaged))
    assert data.fetch(toy).read_bytes() == GOOD_TAR


def test_corrupted_mirror_copy_is_rejected_not_cached(toy, tmp_path, monkeypatch):
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    (mirror / toy.filename).write_bytes(b"<html>not the archive</html>")
    monkeypatch.setenv(data.MIRROR_ENV, str(mirror))
    with pytest.raises(data.DataUnavailableError, match="damaged or incomplete"):
        data.fetch(toy, timeout=2)
    assert not (data.cache_dir() / toy.filename).exists()
    assert leftovers(data.cache_dir()) == []


def test_interrupted_download_leaves_no_half_file(toy, monkeypatch):
    with Server({toy.filename: GOOD_TAR}, truncate=len(GOOD_TAR) // 3) as server:
        monkeypatch.setenv(data.MIRROR_ENV, server.url)
        with pytest.raises(data.DataUnavailableError):
            data.fetch(toy, timeout=5)
    assert not (data.cache_dir() / toy.filename).exists()
    assert leftovers(data.cache_dir()) == []


def test_known_checksum_is_accepted_without_unpacking(toy, tmp_path, monkeypatch):
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    (mirror / "notes.txt").write_bytes(b"plain text\n")
    monkeypatch.setenv(data.MIRROR_ENV, str(mirror))
    plain = data.Dataset(**{**toy.__dict__, "filename": "notes.txt"})
    known = data.Dataset(**{**plain.__dict__, "sha256": (data.sha256_of(mirror / "notes.txt"),)})
    assert data.fetch(known).read_bytes() == b"plain text\n"
    (data.cache_dir() / "notes.txt").unlink()
    with pytest.raises(data.DataUnavailableError, match="not a known-good"):
        data.fetch(plain, timeout=2)  # no checksum to trust and nothing to unpack


def test_extract_tar_and_zip_once(toy, tmp_path, monkeypatch):
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    (mirror / toy.filename).write_bytes(GOOD_TAR)
    (mirror / "pairs.zip").write_bytes(GOOD_ZIP)
    monkeypatch.setenv(data.MIRROR_ENV, str(mirror))
    folder = data.extract(toy)
    assert folder.name == "toy_v1_extracted"
    assert (folder / "toy" / "README").read_bytes() == b"toy"
    marker = (folder / ".complete").stat().st_mtime_ns
    assert data.extract(toy) == folder
    assert (folder / ".complete").stat().st_mtime_ns == marker  # not unpacked twice
    pairs = data.Dataset(**{**toy.__dict__, "filename": "pairs.zip"})
    assert (data.extract(pairs) / "pairs.txt").read_text().startswith("Go.\tVa !")


def test_extract_refuses_paths_outside_the_folder(toy, tmp_path, monkeypatch):
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    (mirror / toy.filename).write_bytes(make_tar_gz({"../evil.txt": b"x"}))
    monkeypatch.setenv(data.MIRROR_ENV, str(mirror))
    with pytest.raises((tarfile.TarError, data.CorruptFileError)):
        data.extract(toy)
    assert not (data.cache_dir() / "evil.txt").exists()
    assert not (tmp_path / "evil.txt").exists()


def test_unknown_dataset_name_lists_the_known_ones():
    with pytest.raises(KeyError, match="imdb"):
        data.fetch("no-such-data")


def test_where_is_reports_each_place(toy, tmp_path, monkeypatch):
    assert "downloaded on first use" in data.where_is(toy)
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    (mirror / toy.filename).write_bytes(GOOD_TAR)
    monkeypatch.setenv(data.MIRROR_ENV, str(mirror))
    assert "mirror folder" in data.where_is(toy)
    data.fetch(toy)
    assert "cached" in data.where_is(toy)


def test_registered_datasets_match_the_shared_mirror():
    mirror = Path(__file__).resolve().parents[2] / "shared" / "datasets"
    if not mirror.is_dir():
        pytest.skip("no ../shared/datasets beside the checkout")
    for dataset in data.DATASETS.values():
        copy = mirror / dataset.filename
        assert copy.is_file(), f"the mirror has no {dataset.filename}"
        assert data.sha256_of(copy) in dataset.sha256


def test_shipped_file_missing_says_what_to_do():
    with pytest.raises(data.DataUnavailableError, match="full checkout"):
        data.shipped_file("no-such-file.csv")
