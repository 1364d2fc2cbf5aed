"""Data access: a local cache, then a mirror, then the official URL.

Every file is verified before it is used and written atomically, so a half-written or
corrupted file is never used: it is replaced. Offline with no copy and no mirror, the
error says which file is missing, where it comes from and where to put it.

Environment variables:
    RNN_COURSE_DATA    the cache folder (default: ~/.cache/rnn-course)
    RNN_COURSE_MIRROR  a folder or URL holding files with their official names
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tarfile
import tempfile
import urllib.error
import urllib.parse
import urllib.request
import zipfile
from dataclasses import dataclass
from pathlib import Path

CACHE_ENV = "RNN_COURSE_DATA"
MIRROR_ENV = "RNN_COURSE_MIRROR"
CHUNK = 1 << 20


@dataclass(frozen=True)
class Dataset:
    """A file the course needs, known by its official name and URL."""

    name: str
    filename: str
    url: str
    description: str
    used_by: str
    # Checksums of copies known to be good (the official file, the classroom mirror's
    # trimmed copy). A file with another checksum is still accepted when it is a
    # complete, readable archive: each archive carries its own CRCs, which catch a
    # truncated or damaged download.
    sha256: tuple[str, ...] = ()

    @property
    def extracted_name(self) -> str:
        stem = self.filename
        for ext in (".tar.gz", ".tgz", ".zip", ".tar"):
            if stem.endswith(ext):
                stem = stem[: -len(ext)]
        return f"{stem}_extracted"


DATASETS: dict[str, Dataset] = {
    "imdb": Dataset(
        name="imdb",
        filename="aclImdb_v1.tar.gz",
        url="https://ai.stanford.edu/~amaas/data/sentiment/aclImdb_v1.tar.gz",
        description="Large Movie Review Dataset (IMDB reviews, Maas et al. 2011)",
        used_by="04_sentiment_lstm",
        sha256=("86bbcb5ac400e8e9d62ca33fc64c2cb7f8ddaf8d5bd8090deef1672f2bbd78c6",),
    ),
    "fra-eng": Dataset(
        name="fra-eng",
        filename="fra-eng.zip",
        url="http://storage.googleapis.com/download.tensorflow.org/data/fra-eng.zip",
        description="English-French sentence pairs from Tatoeba (CC-BY 2.0 FR)",
        used_by="06_seq2seq_translation",
        sha256=("cb8f1eb5abc1d03ed8da168bf1ede72f939c3f37fef1f0a8f56fa062dbe3f4ef",),
    ),
}


class DataUnavailableError(RuntimeError):
    """A dataset file could not be found, fetched or verified. The message says what to do."""

    def _render_traceback_(self) -> list[str]:  # IPython shows this instead of a traceback
        return [f"DataUnavailableError: {self}"]


class CorruptFileError(ValueError):
    """A file is not the complete, readable file it should be."""


class DownloadError(OSError):
    """A download failed; the message says why in plain words."""


def cache_dir() -> Path:
    """The folder that holds downloaded files (RNN_COURSE_DATA overrides it)."""
    configured = os.environ.get(CACHE_ENV)
    path = Path(configured).expanduser() if configured else Path.home() / ".cache" / "rnn-course"
    return path


def mirror() -> str | None:
    """The mirror folder or URL from RNN_COURSE_MIRROR, or None."""
    value = os.environ.get(MIRROR_ENV, "").strip()
    return value or None


def get_dataset(name: str | Dataset) -> Dataset:
    if isinstance(name, Dataset):
        return name
    try:
        return DATASETS[name]
    except KeyError:
        known = ", ".join(sorted(DATASETS))
        raise KeyError(f"Unknown dataset {name!r}. Known datasets: {known}.") from None


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(CHUNK):
            digest.update(block)
    return digest.hexdigest()


def verify(path: Path, dataset: Dataset) -> str:
    """Return the file's sha256 if it is good; raise CorruptFileError if not."""
    digest = sha256_of(path)
    if digest in dataset.sha256:
        return digest
    name = dataset.filename
    try:
        if name.endswith((".tar.gz", ".tgz", ".tar")):
            with tarfile.open(path) as archive:
                members = 0
                for members, member in enumerate(archive, start=1):  # noqa: B007
                    if member.isfile():
                        with archive.extractfile(member) as f:
                            while f.read(CHUNK):
                                pass
        elif name.endswith(".zip"):
            with zipfile.ZipFile(path) as archive:
                bad = archive.testzip()
                members = len(archive.namelist())
                if bad is not None:
                    raise CorruptFileError(f"{name}: member {bad} fails its CRC check")
        else:
            raise CorruptFileError(f"{name}: checksum {digest} is not a known-good one")
    except (tarfile.TarError, zipfile.BadZipFile, EOFError, OSError) as exc:
        raise CorruptFileError(f"{name} is damaged or incomplete ({exc})") from exc
    if members == 0:
        raise CorruptFileError(f"{name} is an empty archive")
    return digest


def _stamp(path: Path) -> Path:
    return path.with_name(path.name + ".sha256")


def _is_good_cached(path: Path, dataset: Dataset) -> bool:
    """A cached file is used when its checksum matches the one recorded when it was
    verified, or when it verifies now. Anything else is moved aside and fetched again."""
    if not path.is_file():
        return False
    stamp = _stamp(path)
    if stamp.is_file() and stamp.read_text().strip() == sha256_of(path):
        return True
    try:
        stamp.write_text(verify(path, dataset) + "\n")
        return True
    except CorruptFileError as exc:
        aside = path.with_name(path.name + ".corrupt")
        os.replace(path, aside)
        stamp.unlink(missing_ok=True)
        print(f"The cached {path.name} is not usable ({exc}).")
        print(f"It was moved aside to {aside} (delete it when you like); fetching a new copy.")
        return False


def _copy_atomically(source, target: Path, dataset: Dataset, expected_size: int | None) -> None:
    """Stream `source` (a binary file object) into `target`, verify, then rename into place."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    tmp = Path(tmp_name)
    try:
        size = 0
        with os.fdopen(fd, "wb") as out:
            while block := source.read(CHUNK):
                out.write(block)
                size += len(block)
        if expected_size is not None and size != expected_size:
            raise CorruptFileError(f"got {size} bytes of the {expected_size} announced")
        digest = verify(tmp, dataset)
        os.replace(tmp, target)
        _stamp(target).write_text(digest + "\n")
    finally:
        tmp.unlink(missing_ok=True)


def _fetch_url(url: str, target: Path, dataset: Dataset, timeout: float) -> None:
    """Download with `keras.utils.get_file` into a temporary folder beside the cache (it
    deletes a half download itself), verify, then rename into place."""
    import socket

    import keras

    target.parent.mkdir(parents=True, exist_ok=True)
    previous = socket.getdefaulttimeout()
    socket.setdefaulttimeout(timeout)  # get_file has no timeout of its own
    try:
        with tempfile.TemporaryDirectory(prefix=f".{target.name}.", dir=target.parent) as tmp:
            try:
                path = keras.utils.get_file(
                    dataset.filename, origin=url, cache_dir=tmp, cache_subdir=""
                )
            except Exception as exc:  # get_file reports network errors as a bare Exception
                cause = exc.__context__
                raise DownloadError(
                    _reason(cause if isinstance(cause, urllib.error.URLError) else exc)
                ) from exc
            digest = verify(Path(path), dataset)
            os.replace(path, target)
            _stamp(target).write_text(digest + "\n")
    finally:
        socket.setdefaulttimeout(previous)


def _sources(dataset: Dataset) -> list[tuple[str, str]]:
    """(label, location) pairs to try after the cache, in order."""
    sources = []
    where = mirror()
    if where:
        if urllib.parse.urlparse(where).scheme in ("http", "https", "file"):
            sources.append(("mirror URL", where.rstrip("/") + "/" + dataset.filename))
        else:
            sources.append(("mirror folder", str(Path(where).expanduser() / dataset.filename)))
    sources.append(("official URL", dataset.url))
    return sources


def fetch(name: str | Dataset, *, timeout: float = 60.0) -> Path:
    """Path to a verified local copy of a dataset file, fetching it if needed."""
    dataset = get_dataset(name)
    target = cache_dir() / dataset.filename
    if _is_good_cached(target, dataset):
        return target
    failures = []
    for label, location in _sources(dataset):
        try:
            if label == "mirror folder":
                if not Path(location).is_file():
                    raise FileNotFoundError(f"no file {location}")
                with open(location, "rb") as source:
                    _copy_atomically(source, target, dataset, Path(location).stat().st_size)
            else:
                _fetch_url(location, target, dataset, timeout)
            print(f"{dataset.filename}: copied from the {label} into {shown(target.parent)}")
            return target
        except (OSError, urllib.error.URLError, CorruptFileError, ValueError) as exc:
            failures.append(f"  - {label} {location}: {_reason(exc)}")
    raise DataUnavailableError(_missing_message(dataset, target, failures))


def _reason(exc: Exception) -> str:
    if isinstance(exc, urllib.error.HTTPError):
        return f"HTTP error {exc.code} {exc.reason}"
    if isinstance(exc, urllib.error.URLError):
        return f"cannot connect ({exc.reason}): are you offline?"
    return str(exc) or type(exc).__name__


def _missing_message(dataset: Dataset, target: Path, failures: list[str]) -> str:
    tried = "\n".join(failures)
    mirror_hint = (
        f"or put it in the mirror folder {mirror()}"
        if mirror()
        else f"or set {MIRROR_ENV} to a folder (or URL) that holds {dataset.filename}"
    )
    return (
        f"Cannot get {dataset.filename}: the {dataset.description}, "
        f"used by {dataset.used_by}.\n"
        f"Not in the cache ({target}), and every source failed:\n{tried}\n"
        f"What to do: download\n    {dataset.url}\n"
        f"on a machine with internet and save it, with that exact name, as\n    {target}\n"
        f"{mirror_hint}; then run this cell again."
    )


def extract(name: str | Dataset) -> Path:
    """Fetch an archive and unpack it once into `<cache>/<name>_extracted/`."""
    dataset = get_dataset(name)
    archive = fetch(dataset)
    target = archive.parent / dataset.extracted_name
    done = target / ".complete"
    if done.is_file() and done.read_text().strip() == _stamp(archive).read_text().strip():
        return target
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        if dataset.filename.endswith(".zip"):
            with zipfile.ZipFile(archive) as z:
                z.extractall(tmp)  # zipfile drops absolute paths and '..' on its own
        else:
            with tarfile.open(archive) as t:
                if hasattr(tarfile, "data_filter"):
                    t.extractall(tmp, filter="data")
                else:  # Python without the extraction filters: refuse unsafe names
                    for member in t.getmembers():
                        if member.name.startswith("/") or ".." in Path(member.name).parts:
                            raise CorruptFileError(f"unsafe path {member.name} in {archive}")
                    t.extractall(tmp)
        (tmp / ".complete").write_text(_stamp(archive).read_text())
        if done.is_file() and done.read_text().strip() == _stamp(archive).read_text().strip():
            return target  # another process (a second notebook) finished first: keep its copy
        if target.exists():  # an older or unfinished extraction in our own cache
            shutil.rmtree(target)
        os.replace(tmp, target)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp)
    return target


def where_is(name: str | Dataset) -> str:
    """One line for the start-here notebook: cached, in the mirror, or to be downloaded."""
    dataset = get_dataset(name)
    cached = cache_dir() / dataset.filename
    if cached.is_file():
        return f"cached in {shown(cached.parent)}"
    where = mirror()
    if where:
        label, location = _sources(dataset)[0]
        if label == "mirror folder" and Path(location).is_file():
            return f"in the mirror folder {shown(where)} (copied to the cache on first use)"
        if label == "mirror URL":
            try:
                with urllib.request.urlopen(
                    urllib.request.Request(location, method="HEAD"), timeout=5
                ):
                    return f"at the mirror URL {where} (downloaded on first use)"
            except (OSError, urllib.error.URLError):
                pass
    return f"not here yet: downloaded on first use from {dataset.url}"


def shown(path: str | Path) -> str:
    """A path as printed in a notebook: relative to the course folder, or under `~`, else
    only its last two parts (a notebook's saved output should not show this machine)."""
    path = Path(path).expanduser().resolve()
    for base, prefix in ((course_root(), ""), (Path.home().resolve(), "~/")):
        try:
            return prefix + str(path.relative_to(base))
        except ValueError:
            continue
    return str(Path("...", *path.parts[-2:]))


def course_root() -> Path:
    """The checkout that holds notebooks/ and datasets/ (helpers/ lives inside it)."""
    return Path(__file__).resolve().parent.parent


def shipped_file(filename: str) -> Path:
    """A small data file the course ships in datasets/."""
    path = course_root() / "datasets" / filename
    if not path.is_file():
        raise DataUnavailableError(
            f"The course's own data file datasets/{filename} is missing from "
            f"{course_root()}. Install the helpers from a full checkout of the course "
            "(git clone, then pip install -e .), which carries the datasets/ folder."
        )
    return path
