"""MNIST and Fashion-MNIST: the four standard IDX files, kept in the user's dataset folder and
fetched when absent.

The files are never shipped (55 MB). Where they are kept and where they come from are the
user's choice, never a project's: a project file is something a person may have been handed,
and opening it must not make the app connect to an address or write to a folder the file
names. So the folder is ``user_dirs.datasets_dir()`` (``PLAYGROUND_DATA_DIR`` or the user
cache) and the mirror the standard one or ``PLAYGROUND_MNIST_MIRROR`` /
``PLAYGROUND_FASHION_MNIST_MIRROR``; the ``cache_dir`` and ``mirror`` settings older project
files carry are accepted and ignored (``ignored_settings`` words the note).

A download is bounded by the file's known size (a larger ``Content-Length`` is refused before
reading, and reading stops one byte past the size), written to a temporary file in the
dataset folder, checked against the published MD5 and only then renamed into place; the
temporary file is removed on any failure, an interrupt included, so an endless, oversized,
truncated or tampered download never becomes data nor stays on disk. Offline, the error says
exactly which files to put in which folder.
"""

from __future__ import annotations

import hashlib
import http.client
import logging
import os
import tempfile
import time
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from playground.core.datasets.base import (
    REGISTRY,
    DataError,
    Dataset,
    DatasetEntry,
    DatasetMeta,
    LoadContext,
    Loader,
    build_dataset,
    register,
    seed_param,
)
from playground.core.datasets.files import read_idx_pair
from playground.core.params import Param
from playground.core.user_dirs import datasets_dir

log = logging.getLogger(__name__)

FILES = ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
         "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")



@dataclass(frozen=True)
class Expected:
    """What a downloaded file must be: its published MD5 and its exact size in bytes."""

    md5: str
    size: int


# Published MD5 sums (as listed in torchvision's datasets/mnist.py) and sizes (MNIST: as listed
# on yann.lecun.com/exdb/mnist; Fashion-MNIST: the Content-Length its mirrors serve, as shown by
# torchvision's and Keras' download progress). Module level so a test can substitute its own
# small files.
EXPECTED: dict[str, dict[str, Expected]] = {
    "mnist": dict(zip(FILES, (
        Expected("f68b3c2dcbeaaa9fbdd348bbdeb94873", 9_912_422),
        Expected("d53e105ee54ea40749a09fcbcd1e9432", 28_881),
        Expected("9fb629c4189551a2d022fa330f9573f3", 1_648_877),
        Expected("ec29112dd5afa0611ce80d1b7f02629c", 4_542),
    ))),
    "fashion_mnist": dict(zip(FILES, (
        Expected("8d4fb7e6c68d591d4c3dfef9ec88bf0d", 26_421_880),
        Expected("25c81989df183df01b3e8a0aad5dffbe", 29_515),
        Expected("bef4ecab320f06d8554ea6380940ec79", 4_422_102),
        Expected("bb300cfdad3c16e7a12a480ee83cd310", 5_148),
    ))),
}

#: Seconds a connection may stay silent before the download is abandoned.
TIMEOUT_S = 30.0
#: A temporary file untouched this long belongs to no running download (a killed process left
#: it): the next download in its folder removes it. A live download writes at least every
#: ``TIMEOUT_S`` seconds.
STALE_PART_S = 600.0
_CHUNK = 1 << 16
#: ``Param.extra`` key marking a setting older project files carry and this version ignores; its
#: value says why, and the dataset panel shows no field for it.
IGNORED = "ignored"


@dataclass(frozen=True)
class Source:
    name: str
    title: str
    mirror: str
    class_names: tuple[str, ...]
    help: str
    mirror_safe: bool = True
    #: published human-level error rate (DatasetEntry.reference_error)
    reference_error: float | None = None

    @property
    def mirror_env(self) -> str:
        """The environment variable that replaces the mirror, e.g. ``PLAYGROUND_MNIST_MIRROR``."""
        return f"PLAYGROUND_{self.name.upper()}_MIRROR"

    @property
    def meta(self) -> DatasetMeta:
        return DatasetMeta((1, 28, 28), "classification", len(self.class_names), self.class_names,
                           mirror_safe=self.mirror_safe)


SOURCES = (
    Source("mnist", "MNIST digits", "https://ossci-datasets.s3.amazonaws.com/mnist/",
           tuple(str(d) for d in range(10)),
           "70,000 handwritten digits, 28x28 pixels: the classic benchmark for convolutional networks.",
           mirror_safe=False, reference_error=0.002),
    Source("fashion_mnist", "Fashion-MNIST", "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
           ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
            "Ankle boot"),
           "70,000 photos of clothing in ten classes, 28x28 pixels: MNIST's shape, but harder.",
           reference_error=0.165),
)


def cache_folder(name: str) -> Path:
    """Where a download dataset's files live: ``<the user's dataset folder>/<name>``."""
    return datasets_dir() / name


def mirror_url(source: Source) -> str:
    """The address the files are fetched from: the user's ``PLAYGROUND_<NAME>_MIRROR``, else the
    standard one; always ending in ``/``."""
    return (os.environ.get(source.mirror_env, "").strip() or source.mirror).rstrip("/") + "/"


def ignored_settings(spec: Mapping[str, Any]) -> list[str]:
    """One note per setting in a project's ``dataset`` object that this version ignores (an older
    file's ``mirror`` or ``cache_dir``), saying what happens instead; empty for other datasets."""
    name = spec.get("name")
    entry = REGISTRY.get(name) if isinstance(name, str) else None
    if entry is None:
        return []
    notes = []
    for param in entry.params:
        value = spec.get(param.name)
        if param.extra.get(IGNORED) and isinstance(value, str) and value.strip():
            shown = value if len(value) <= 60 else value[:57] + "..."
            notes.append(f"dataset '{entry.name}': the project's {param.name} {shown!r} is ignored: "
                         f"{param.extra[IGNORED]}")
    return notes


def _present(folder: Path, file: str) -> Path | None:
    """The file as downloaded, or unpacked by hand (``read_idx`` handles both)."""
    for candidate in (folder / file, folder / file.removesuffix(".gz")):
        if candidate.is_file():
            return candidate
    return None


def fetch(url: str, target: Path, expected: Expected) -> None:
    """Download ``url`` to ``target``, keeping it only when it is exactly the expected file.

    Never reads more than one byte past ``expected.size``, whatever the server sends or
    declares; the bytes go to a temporary file beside ``target`` that is renamed only once
    size and MD5 match, and removed otherwise (errors and interrupts alike).
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.md5(usedforsecurity=False)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    tmp = Path(tmp_name)
    received = 0
    try:
        with os.fdopen(fd, "wb") as out, urllib.request.urlopen(url, timeout=TIMEOUT_S) as response:
            declared = response.headers.get("Content-Length", "").strip()
            if declared.isascii() and declared.isdigit() and int(declared) != expected.size:
                raise _wrong_file(url, f"the server says it has {int(declared):,} bytes, "
                                       f"expected {expected.size:,}")
            while chunk := response.read(min(_CHUNK, expected.size + 1 - received)):
                received += len(chunk)
                if received > expected.size:
                    raise _wrong_file(url, f"it is larger than the expected {expected.size:,} bytes")
                digest.update(chunk)
                out.write(chunk)
        if received < expected.size:
            raise DataError(f"the download of {url} stopped after {received:,} of {expected.size:,} bytes "
                            "(the connection was closed); nothing was saved, try again")
        if digest.hexdigest() != expected.md5:
            raise _wrong_file(url, f"its MD5 is {digest.hexdigest()}, expected {expected.md5}")
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


def _remove_stale_parts(folder: Path) -> None:
    """Remove the temporary files of downloads that were killed (no ``finally`` runs on kill -9)."""
    now = time.time()
    for part in folder.glob(".*.part"):
        try:
            if now - part.stat().st_mtime > STALE_PART_S:
                part.unlink()
        except OSError:
            log.debug("could not remove %s", part, exc_info=True)  # another download's, or gone already


def _wrong_file(url: str, why: str) -> DataError:
    return DataError(f"the download of {url} is damaged or not the expected file: {why}; nothing was saved, "
                     "try again or use another mirror")


def _absent(source: Source, folder: Path, missing: list[str], why: str) -> DataError:
    return DataError(
        f"{source.title}: the files {', '.join(missing)} are not in {folder} and {why}. "
        f"Download them from {source.mirror} on a machine that is online and put them in the folder "
        f"{folder} (gzipped or unpacked), or connect to the internet and try again."
    )


def ensure_files(source: Source, folder: Path, download: bool) -> dict[str, Path]:
    """Paths of the four files, fetching the missing ones from the user's mirror when allowed.

    Offline (or with downloads off) the message lists the missing files and the folder, so a
    person can copy them there from another machine.
    """
    found = {file: _present(folder, file) for file in FILES}
    missing = [file for file, path in found.items() if path is None]
    if missing and not download:
        raise _absent(source, folder, missing, "downloads are turned off")
    base = mirror_url(source)
    if missing:
        _remove_stale_parts(folder)
    for i, file in enumerate(missing):
        try:
            fetch(base + file, folder / file, EXPECTED[source.name][file])
        except (OSError, ValueError, http.client.HTTPException) as exc:
            reason = getattr(exc, "reason", None) or exc
            raise _absent(source, folder, missing[i:], f"downloading from {base} failed ({reason})") from exc
        found[file] = folder / file
    return {file: path for file, path in found.items() if path is not None}


def _loader(source: Source) -> Loader:
    def load(params: dict[str, Any], ctx: LoadContext) -> Dataset:
        for note in ignored_settings({"name": source.name, **params}):
            log.warning(note)
        folder = cache_folder(source.name)
        paths = ensure_files(source, folder, params["download"])
        train = read_idx_pair(paths[FILES[0]], paths[FILES[1]], source.class_names)
        test = read_idx_pair(paths[FILES[2]], paths[FILES[3]], source.class_names)
        for (images, _), file in ((train, paths[FILES[0]]), (test, paths[FILES[2]])):
            if images.shape[1:] != source.meta.input_shape:
                raise DataError(
                    f"{file} holds images of shape {images.shape[1:]}, not {source.title}'s "
                    f"{source.meta.input_shape}; replace it with the original file"
                )
        return build_dataset(
            source.name, *train, source.meta, ctx, seed=params["seed"], test=test,
            info={"source": source.title, "folder": str(folder)},
        )

    return load


for _source in SOURCES:
    register(
        DatasetEntry(
            name=_source.name,
            title=_source.title,
            group="downloads",
            help=_source.help,
            params=(
                Param("cache_dir", "str", "", "Ignored; older versions read the data folder from here.",
                      extra={IGNORED: "a project does not choose where the app writes; the files are kept "
                                      "in the user's dataset folder (PLAYGROUND_DATA_DIR chooses another)"}),
                Param("mirror", "str", "", "Ignored; older versions read the download address from here.",
                      extra={IGNORED: "a project does not choose where the app downloads from; set "
                                      f"{_source.mirror_env} to use another mirror"}),
                Param("download", "bool", True, "Whether to download the files when they are not in the "
                      "dataset folder yet."),
                seed_param(),
            ),
            load=_loader(_source),
            reference_error=_source.reference_error,
            meta=lambda _params, source=_source: source.meta,
        )
    )
