"""MNIST and Fashion-MNIST: the four standard IDX files, kept in a cache folder and fetched when absent.

The files are never shipped (55 MB) and never fetched behind the user's back without a
checksum: a download is written to a temporary file, checked against the published MD5 and
only then renamed into place, so an interrupted or tampered download never becomes data.
Offline, the error says exactly which files to put in which folder.
"""

from __future__ import annotations

import hashlib
import http.client
import os
import tempfile
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from playground.core.datasets.base import (
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

FILES = ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
         "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")

# Published MD5 sums (as listed in torchvision's datasets/mnist.py). Module level so a test
# can substitute the sums of its own small files.
CHECKSUMS: dict[str, dict[str, str]] = {
    "mnist": dict(zip(FILES, (
        "f68b3c2dcbeaaa9fbdd348bbdeb94873", "d53e105ee54ea40749a09fcbcd1e9432",
        "9fb629c4189551a2d022fa330f9573f3", "ec29112dd5afa0611ce80d1b7f02629c",
    ))),
    "fashion_mnist": dict(zip(FILES, (
        "8d4fb7e6c68d591d4c3dfef9ec88bf0d", "25c81989df183df01b3e8a0aad5dffbe",
        "bef4ecab320f06d8554ea6380940ec79", "bb300cfdad3c16e7a12a480ee83cd310",
    ))),
}

TIMEOUT_S = 30.0
_CHUNK = 1 << 16


@dataclass(frozen=True)
class Source:
    name: str
    title: str
    mirror: str
    class_names: tuple[str, ...]
    help: str

    @property
    def mirror_env(self) -> str:
        """The environment variable that replaces the mirror, e.g. ``PLAYGROUND_MNIST_MIRROR``."""
        return f"PLAYGROUND_{self.name.upper()}_MIRROR"

    @property
    def meta(self) -> DatasetMeta:
        return DatasetMeta((1, 28, 28), "classification", len(self.class_names), self.class_names)


SOURCES = (
    Source("mnist", "MNIST digits", "https://ossci-datasets.s3.amazonaws.com/mnist/",
           tuple(str(d) for d in range(10)),
           "70,000 handwritten digits, 28x28 pixels: the classic benchmark for convolutional networks."),
    Source("fashion_mnist", "Fashion-MNIST", "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
           ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
            "Ankle boot"),
           "70,000 photos of clothing in ten classes, 28x28 pixels: MNIST's shape, but harder."),
)


def cache_folder(name: str, cache_dir: str = "", ctx: LoadContext | None = None) -> Path:
    """Where a download dataset's files live: the ``cache_dir`` parameter, else
    ``$PLAYGROUND_DATA_DIR/<name>``, else ``~/.cache/nn-playground/<name>``."""
    if cache_dir.strip():
        return (ctx or LoadContext()).resolve(cache_dir)
    root = os.environ.get("PLAYGROUND_DATA_DIR") or "~/.cache/nn-playground"
    return Path(root).expanduser() / name


def _present(folder: Path, file: str) -> Path | None:
    """The file as downloaded, or unpacked by hand (``read_idx`` handles both)."""
    for candidate in (folder / file, folder / file.removesuffix(".gz")):
        if candidate.is_file():
            return candidate
    return None


def fetch(url: str, target: Path, md5: str) -> None:
    """Download ``url`` to ``target`` through a temporary file, keeping it only when the MD5 matches."""
    target.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.md5(usedforsecurity=False)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out, urllib.request.urlopen(url, timeout=TIMEOUT_S) as response:
            while chunk := response.read(_CHUNK):
                digest.update(chunk)
                out.write(chunk)
        if digest.hexdigest() != md5:
            raise DataError(
                f"the download of {url} is damaged or not the expected file: its MD5 is "
                f"{digest.hexdigest()}, expected {md5}; nothing was saved, try again or use another mirror"
            )
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


def _absent(source: Source, folder: Path, missing: list[str], why: str) -> DataError:
    return DataError(
        f"{source.title}: the files {', '.join(missing)} are not in {folder} and {why}. "
        f"Download them from {source.mirror} on a machine that is online and put them in the folder "
        f"{folder} (gzipped or unpacked), or connect to the internet and try again."
    )


def ensure_files(source: Source, folder: Path, mirror: str, download: bool) -> dict[str, Path]:
    """Paths of the four files, fetching the missing ones when allowed.

    Offline (or with downloads off) the message lists the missing files and the folder, so a
    person can copy them there from another machine.
    """
    found = {file: _present(folder, file) for file in FILES}
    missing = [file for file, path in found.items() if path is None]
    if missing and not download:
        raise _absent(source, folder, missing, "downloads are turned off")
    base = (mirror.strip() or os.environ.get(source.mirror_env) or source.mirror).rstrip("/") + "/"
    for i, file in enumerate(missing):
        try:
            fetch(base + file, folder / file, CHECKSUMS[source.name][file])
        except (OSError, ValueError, http.client.HTTPException) as exc:
            reason = getattr(exc, "reason", None) or exc
            raise _absent(source, folder, missing[i:], f"downloading from {base} failed ({reason})") from exc
        found[file] = folder / file
    return {file: path for file, path in found.items() if path is not None}


def _loader(source: Source) -> Loader:
    def load(params: dict[str, Any], ctx: LoadContext) -> Dataset:
        folder = cache_folder(source.name, params["cache_dir"], ctx)
        paths = ensure_files(source, folder, params["mirror"], params["download"])
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
                Param("cache_dir", "str", "", "The folder that holds the four data files; leave empty for "
                      "the standard cache folder (~/.cache/nn-playground)."),
                Param("mirror", "str", "", "The web address to download the files from; leave empty for "
                      "the standard one."),
                Param("download", "bool", True, "Whether to download the files when they are not in the "
                      "cache folder yet."),
                seed_param(),
            ),
            load=_loader(_source),
            meta=lambda _params, source=_source: source.meta,
        )
    )
