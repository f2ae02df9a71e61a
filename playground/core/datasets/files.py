"""Importers for a person's own data: CSV tables, numpy ``.npz`` arrays, IDX files, image folders.

Every check here exists to turn a bad file into one sentence that names the file and the
row, column or image at fault, because the person who made the file has to find and fix it.

Images are read with Pillow: it is well kept, reads PNG, JPEG, BMP and GIF with one call,
and is Qt-free, so the core stays usable from the CLI and from tests without a display.

Files are opened only through ``playground.core.safe_read`` (regular files, sizes checked
before allocating), and each format has a ``peek_*`` that gives the dataset's shapes from
headers and labels alone, which is what ``check`` reads.
"""

from __future__ import annotations

import csv
import gzip
import math
import os
import struct
import warnings
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, cast

import numpy as np
from PIL import Image, UnidentifiedImageError

from playground.core.datasets.base import (
    DataError,
    Dataset,
    DatasetEntry,
    DatasetMeta,
    LoadContext,
    build_dataset,
    permute_pixels_param,
    register,
    seed_param,
    test_fraction_param,
)
from playground.core.params import Param
from playground.core.safe_read import check_array_size, open_npz, open_regular, read_capped, read_exactly

# A column of whole numbers with at most this many distinct values (and fewer than half as
# many as there are rows) holds class labels, not a quantity to regress.
MAX_INTEGER_CLASSES = 20
MAX_CLASSES = 1000
#: A CSV file is parsed as text, which takes about ten times its size in memory.
MAX_CSV_BYTES = 100 << 20
#: One image of an image folder: 4096 x 4096 (Pillow's own limit is five times higher).
MAX_IMAGE_PIXELS = 4096 * 4096
_FLOAT32_MAX = float(np.finfo(np.float32).max)
_CHECK_CHUNK = 1 << 22


def _path_param(name: str, help: str) -> Param:
    return Param(name, "path", "", help)


# --------------------------------------------------------------------------- CSV


def _read_rows(path: Path) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """Header and non-blank rows, each with the line number a text editor shows."""
    raw = read_capped(path, DataError, MAX_CSV_BYTES)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DataError(f"{path.name} is not a UTF-8 text file ({exc.reason} at byte {exc.start})") from exc
    del raw
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(text.splitlines(), dialect)
    try:
        rows = [(reader.line_num, row) for row in reader if any(cell.strip() for cell in row)]
    except csv.Error as exc:
        raise DataError(f"{path.name} row {reader.line_num + 1} is not valid CSV ({exc})") from exc
    if not rows:
        raise DataError(f"{path.name} is empty; a CSV file needs a header row and one row per example")
    if len(rows) == 1:
        raise DataError(f"{path.name} has a header row but no data rows")
    return [name.strip() for name in rows[0][1]], rows[1:]


def _parse_number(path: Path, line: int, column: str, cell: str) -> float:
    try:
        value = float(cell)
    except ValueError:
        shown = repr(cell.strip()) if cell.strip() else "empty"
        raise DataError(f"{path.name} row {line}, column '{column}': {shown} is not a number") from None
    if not math.isfinite(value) or abs(value) > _FLOAT32_MAX:
        raise DataError(f"{path.name} row {line}, column '{column}': {cell.strip()} is not a finite number "
                        "(or too large for a 32-bit float)")
    return value


def _csv_target(path: Path, column: str, cells: list[tuple[int, str]]) -> tuple[np.ndarray, tuple[str, ...]]:
    """Targets and class names; no class names means regression.

    Text means classes; whole numbers with few distinct values mean classes too (a 0/1 or
    0..9 label column); anything else is a quantity to regress. Text classes stop at
    ``MAX_CLASSES``, as npz and IDX labels do.
    """
    texts = [cell.strip() for _, cell in cells]
    for (line, _), text in zip(cells, texts):
        if not text:
            raise DataError(f"{path.name} row {line}: the target column '{column}' is empty")
    try:
        numbers = np.array([float(text) for text in texts])
    except ValueError:
        names = sorted(set(texts))
        if len(names) > MAX_CLASSES:
            raise DataError(
                f"{path.name}: the target column '{column}' has {len(names):,} different values; at most "
                f"{MAX_CLASSES} classes are supported (a quantity to predict must be written as numbers)"
            ) from None
        index = {name: i for i, name in enumerate(names)}
        return np.array([index[text] for text in texts], np.int64), tuple(names)
    distinct = np.unique(numbers)
    if (np.isfinite(distinct).all() and (distinct == np.round(distinct)).all()
            and len(distinct) <= MAX_INTEGER_CLASSES and len(distinct) < len(numbers) / 2):
        return np.searchsorted(distinct, numbers), tuple(str(int(v)) for v in distinct)
    return np.array([_parse_number(path, line, column, cell) for line, cell in cells])[:, None], ()


def load_csv(params: dict[str, Any], ctx: LoadContext) -> Dataset:
    """One example per row, one feature per column, one column the target."""
    path = ctx.resolve(params["path"])
    header, rows = _read_rows(path)
    for line, row in rows:
        if len(row) != len(header):
            raise DataError(
                f"{path.name} row {line} has {len(row)} values but the header has {len(header)} columns"
            )
    target = params["target"].strip() or header[-1]
    if target not in header:
        raise DataError(f"{path.name} has no column '{target}' (columns: {', '.join(header)})")
    t = header.index(target)
    features = [i for i in range(len(header)) if i != t]
    if not features:
        raise DataError(f"{path.name} has only the target column '{target}'; it needs at least one feature")
    x = np.array(
        [[_parse_number(path, line, header[i], row[i]) for i in features] for line, row in rows], np.float32
    )
    y, names = _csv_target(path, target, [(line, row[t]) for line, row in rows])
    shape = (len(features),)
    if names:
        meta = DatasetMeta(shape, "classification", len(names), names)
    else:
        meta = DatasetMeta(shape, "regression", 1)
    return build_dataset(
        "csv", x, y, meta, ctx, seed=params["seed"], test_fraction=params["test_fraction"], source=path.name,
        info={"file": str(path), "features": [header[i] for i in features], "target": target},
    )


# --------------------------------------------------------------------------- shared image/label checks


def _example_shape(shape: tuple[int, ...], source: str) -> tuple[int, ...]:
    """The shape of one example in an array of ``shape``: ``(F,)`` features or ``(C, H, W)`` images.

    A 1-D array is one feature per example and a 3-D array grayscale images, so both gain an
    axis. Every dimension must hold something: a zero-width feature axis or a zero-height image
    would leave the network nothing to read (and the statistics a division by zero).
    """
    if len(shape) in (1, 3):
        example = (1, *shape[1:])
    elif len(shape) in (2, 4):
        example = tuple(shape[1:])
    else:
        raise DataError(f"{source} has shape {shape}; expected (N, features), (N, H, W) or (N, C, H, W)")
    if 0 in example:
        raise DataError(f"{source} has shape {shape}: every example needs at least one value in each "
                        "dimension (no feature count, height or width of 0)")
    return example


def _image_array(x: np.ndarray, source: str) -> np.ndarray:
    """Features as ``(N, F)`` or images as ``(N, C, H, W)`` (see ``_example_shape``)."""
    return x.reshape((x.shape[0], *_example_shape(x.shape, source)))


def _check_number_type(dtype: np.dtype, source: str, wanted: str = "numbers") -> None:
    """Only plain integers, booleans and real floats become tensors; name anything else."""
    if dtype.kind == "c":
        raise DataError(f"{source} holds complex numbers ({dtype}); it must hold real {wanted}")
    if dtype.kind not in "biuf" or dtype.names is not None:
        raise DataError(f"{source} has type {dtype}; it must hold {wanted}")


def _class_labels(y: np.ndarray, n: int, source: str, count_name: str) -> np.ndarray:
    """Check integer labels against the examples they belong to; classes are ``0..max``."""
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.ndim != 1:
        raise DataError(f"{source} has shape {y.shape}; class labels must be one number per example")
    if len(y) != n:
        raise DataError(f"{source} has {len(y)} labels but there are {n} {count_name}")
    if len(y) and y.min() < 0:
        raise DataError(f"{source}: label {int(y.min())} is out of range; labels must be 0 or more")
    if len(y) and y.max() >= MAX_CLASSES:
        raise DataError(
            f"{source}: label {int(y.max())} is out of range; "
            f"at most {MAX_CLASSES} classes (0..{MAX_CLASSES - 1}) are supported"
        )
    return y.astype(np.int64)


def _labelled_meta(input_shape: tuple[int, ...], y: np.ndarray, class_names: tuple[str, ...] = ()) -> DatasetMeta:
    count = max(int(y.max()) + 1 if len(y) else 0, len(class_names))
    return DatasetMeta(input_shape, "classification", count, class_names or tuple(str(i) for i in range(count)))


def _check_finite(x: np.ndarray, source: str) -> None:
    """Refuse NaN, infinities and values a float32 cannot hold, naming the first example at fault.

    Training on them gives a NaN loss that looks like a too-high learning rate. Checked in
    chunks so the check never doubles the memory of a large array.
    """
    if x.dtype.kind != "f" or not x.size:
        return
    flat, per_example = x.reshape(-1), x.size // len(x)
    for start in range(0, flat.size, _CHECK_CHUNK):
        chunk = flat[start:start + _CHECK_CHUNK]
        with np.errstate(over="ignore"):  # the limit overflows to inf when cast to float16
            ok = np.isfinite(chunk) & (np.abs(chunk) <= _FLOAT32_MAX)
        if not ok.all():
            bad = start + int(np.argmin(ok))
            raise DataError(f"{source} contains NaN, infinite or too large values (first in example "
                            f"{bad // per_example}: {flat[bad]}); fix or drop those examples")


# --------------------------------------------------------------------------- npz


_NPZ_HINT = "save the features and targets with np.savez(path, x=..., y=...)"


def _read_npz(path: Path, with_x: bool) -> tuple[np.ndarray | None, np.ndarray, DatasetMeta]:
    """Targets, meta and (``with_x``) features of an .npz file.

    Every check that needs only ``x``'s header and ``y`` comes before ``x`` is read, so
    ``peek_npz`` (what ``check`` calls) finds them without reading the features.
    """
    with open_npz(path, DataError) as npz:
        missing = [key for key in ("x", "y") if key not in npz.names]
        if missing:
            raise DataError(
                f"{path.name} has no array {' or '.join(repr(k) for k in missing)} "
                f"(arrays: {', '.join(npz.names) or 'none'}); {_NPZ_HINT}"
            )
        x_source = f"{path.name} array 'x'"
        hx = npz.header("x")
        _check_number_type(hx.dtype, f"{path.name}: array 'x'")
        input_shape = _example_shape(hx.shape, x_source)
        n = hx.shape[0]
        y = npz.array("y")
        y_source = f"{path.name} array 'y'"
        _check_number_type(y.dtype, f"{path.name}: array 'y'", "integers or floats")
        if y.dtype.kind in "biu":
            y = _class_labels(y, n, y_source, "rows in 'x'")
            meta = _labelled_meta(input_shape, y)
        else:
            if y.ndim not in (1, 2) or len(y) != n or (y.ndim == 2 and not y.shape[1]):
                raise DataError(f"{y_source} has shape {y.shape}; expected ({n},) or ({n}, targets)")
            _check_finite(y, y_source)
            y = y.reshape(n, -1)
            meta = DatasetMeta(input_shape, "regression", y.shape[1])
        x = _image_array(npz.array("x"), x_source) if with_x else None
    if x is not None:
        _check_finite(x, x_source)
    return x, y, meta


def peek_npz(params: dict[str, Any], ctx: LoadContext) -> DatasetMeta:
    """The dataset's shapes from ``x``'s header and the labels in ``y``, without reading ``x``."""
    return _read_npz(ctx.resolve(params["path"]), with_x=False)[2]


def load_npz(params: dict[str, Any], ctx: LoadContext) -> Dataset:
    """Arrays ``x`` and ``y``: integer ``y`` are class indices, floating ``y`` regression targets."""
    path = ctx.resolve(params["path"])
    x, y, meta = _read_npz(path, with_x=True)
    assert x is not None
    return build_dataset(
        "npz", x, y, meta, ctx, seed=params["seed"], test_fraction=params["test_fraction"],
        info={"file": str(path)}, source=path.name,
    )


# --------------------------------------------------------------------------- IDX

_IDX_TYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
_GZIP_MAGIC = b"\x1f\x8b"


@contextmanager
def _idx_stream(path: Path) -> Iterator[tuple[BinaryIO, Callable[[], int]]]:
    """The decoded bytes of an IDX file, gzipped or not, and a cheap way to learn their length.

    Gzip is recognised by its magic bytes, not the file name, because people unpack and
    rename these files. The length is the file size, or for gzip the size its trailer records
    (modulo 2**32, as gzip stores it), so a header can be checked without unpacking the data.
    """
    with open_regular(path, DataError) as f:
        if f.read(2) != _GZIP_MAGIC:
            f.seek(0)
            yield f, lambda: os.fstat(f.fileno()).st_size
            return

        def gzip_length() -> int:
            f.seek(-4, os.SEEK_END)
            return int(struct.unpack("<I", f.read(4))[0])

        f.seek(0)
        with gzip.GzipFile(fileobj=f, mode="rb") as stream:
            yield cast(BinaryIO, stream), gzip_length


def _idx_header(stream: BinaryIO, path: Path) -> tuple[tuple[int, ...], np.dtype]:
    """Dimensions and type from an IDX header, the array's size checked against the limit."""
    head = read_exactly(stream, 4)
    if len(head) < 4:
        raise DataError(f"{path.name} is truncated: {len(head)} bytes, too short for an IDX header")
    zero, code, ndim = struct.unpack(">HBB", head)
    if zero != 0 or code not in _IDX_TYPES or ndim == 0:
        raise DataError(
            f"{path.name} is not an IDX file: wrong magic number 0x{bytes(head).hex()} "
            "(expected 00 00, a type code such as 08, and the number of dimensions)"
        )
    raw_dims = read_exactly(stream, 4 * ndim)
    if len(raw_dims) < 4 * ndim:
        raise DataError(f"{path.name} is truncated inside its header ({4 + len(raw_dims)} of {4 + 4 * ndim} bytes)")
    dims = struct.unpack(f">{ndim}I", raw_dims)
    dtype = np.dtype(_IDX_TYPES[code])
    check_array_size(dims, dtype, path.name, DataError)
    return dims, dtype


def _idx_length_error(path: Path, dims: tuple[int, ...], expected: int, found: int) -> DataError:
    state = "truncated" if found < expected else "longer than its header says"
    return DataError(f"{path.name} is {state}: a {' x '.join(map(str, dims))} array needs {expected} bytes of "
                     f"data, the file has {found}")


@contextmanager
def _idx_errors(path: Path) -> Iterator[None]:
    try:
        yield
    except (EOFError, gzip.BadGzipFile, zlib.error) as exc:
        raise DataError(f"{path.name} is a damaged or truncated gzip file ({exc})") from exc
    except OSError as exc:
        raise DataError(f"cannot read {path}: {exc.strerror or exc}") from exc


def read_idx(path: Path) -> np.ndarray:
    """An IDX file (the MNIST format), gzipped or not, as a native-endian numpy array.

    The header's size is checked against the limit before the data is read into one buffer
    of that size, so a small gzip that unpacks to gigabytes is refused at once.
    """
    with _idx_errors(path), _idx_stream(path) as (stream, _):
        dims, dtype = _idx_header(stream, path)
        expected = math.prod(dims) * dtype.itemsize
        data = read_exactly(stream, expected)
        longer = bool(stream.read(1))
    if len(data) != expected or longer:
        raise _idx_length_error(path, dims, expected, len(data) + longer)
    return np.frombuffer(data, dtype).reshape(dims).astype(dtype.newbyteorder("="), copy=False)


def _idx_labels(labels_path: Path, n: int, images_name: str, class_names: tuple[str, ...]) -> np.ndarray:
    labels = read_idx(labels_path)
    if not np.issubdtype(labels.dtype, np.integer):
        raise DataError(f"{labels_path.name} holds {labels.dtype} values; labels must be whole numbers")
    labels = _class_labels(labels, n, labels_path.name, f"images in {images_name}")
    if class_names and len(labels) and labels.max() >= len(class_names):
        raise DataError(
            f"{labels_path.name}: label {int(labels.max())} is out of range; "
            f"expected 0..{len(class_names) - 1}"
        )
    return labels


def _idx_image_shape(dims: tuple[int, ...], path: Path) -> tuple[int, ...]:
    if len(dims) == 1:
        raise DataError(f"{path.name} holds one number per example: a labels file, not images")
    return _example_shape(dims, path.name)


def read_idx_pair(
    images_path: Path, labels_path: Path, class_names: tuple[str, ...] = ()
) -> tuple[np.ndarray, np.ndarray]:
    """Images ``(N, C, H, W)`` (or ``(N, F)``) and their labels, checked against each other.

    With ``class_names`` (MNIST's ten), a label beyond the last name is out of range.
    """
    images = read_idx(images_path)
    images = images.reshape((len(images), *_idx_image_shape(images.shape, images_path)))
    _check_finite(images, images_path.name)
    return images, _idx_labels(labels_path, len(images), images_path.name, class_names)


def peek_idx(params: dict[str, Any], ctx: LoadContext) -> DatasetMeta:
    """Shapes from the images file's header (its length checked, not its pixels) and the labels."""
    images_path, labels_path = ctx.resolve(params["images"]), ctx.resolve(params["labels"])
    with _idx_errors(images_path), _idx_stream(images_path) as (stream, length):
        dims, dtype = _idx_header(stream, images_path)
        expected = math.prod(dims) * dtype.itemsize
        found = length() - 4 - 4 * len(dims)
    if found % 2**32 != expected % 2**32:
        raise _idx_length_error(images_path, dims, expected, found)
    shape = _idx_image_shape(dims, images_path)
    return _labelled_meta(shape, _idx_labels(labels_path, dims[0], images_path.name, ()))


def load_idx(params: dict[str, Any], ctx: LoadContext) -> Dataset:
    images_path, labels_path = ctx.resolve(params["images"]), ctx.resolve(params["labels"])
    x, y = read_idx_pair(images_path, labels_path)
    return build_dataset(
        "idx", x, y, _labelled_meta(x.shape[1:], y), ctx, seed=params["seed"],
        test_fraction=params["test_fraction"], permute_pixels=params["permute_pixels"],
        info={"images": str(images_path), "labels": str(labels_path)}, source=images_path.name,
    )


# --------------------------------------------------------------------------- image folders

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp"}
# Pillow modes that hold one channel; everything else is read as RGB. The wide ones (16-bit,
# 32-bit, float) keep their values rather than being squeezed into 0..255.
_WIDE_GRAY_MODES = {"I", "I;16", "I;16B", "I;16L", "F"}
_GRAY_MODES = {"1", "L", "LA"}
# Pillow warns about images over its own (higher) pixel limit; MAX_IMAGE_PIXELS refuses them
# by name before that matters, so the warning would only be noise on stderr.
warnings.filterwarnings("ignore", category=Image.DecompressionBombWarning)


def _class_folders(root: Path) -> list[tuple[Path, list[Path]]]:
    if not root.is_dir():
        raise DataError(f"{root} is not a folder; image_folder needs a folder with one sub-folder per class")
    folders = sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
    if not folders:
        raise DataError(
            f"the folder {root} has no sub-folders; put each class's images in its own sub-folder"
        )
    classes = []
    for folder in folders:
        files = sorted(p for p in folder.iterdir()
                       if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES and not p.name.startswith("."))
        if not files:
            raise DataError(
                f"the class folder {folder} has no images ({', '.join(sorted(IMAGE_SUFFIXES))}); "
                "add some or remove the folder"
            )
        classes.append((folder, files))
    if len(classes) < 2:
        raise DataError(
            f"the folder {root} has one class folder ({folders[0].name}); classifying needs two or more"
        )
    if len(classes) > MAX_CLASSES:
        raise DataError(f"the folder {root} has {len(classes):,} class folders; at most {MAX_CLASSES} classes "
                        "are supported")
    return classes


@contextmanager
def _open_image(path: Path, root: Path) -> Iterator[Image.Image]:
    """An image opened lazily (header only), refused by name when damaged or over ``MAX_IMAGE_PIXELS``."""
    name = path.relative_to(root)
    try:
        with open_regular(path, DataError) as f, Image.open(f) as img:
            width, height = img.size
            if width * height > MAX_IMAGE_PIXELS:
                raise DataError(f"the image {name} is {width}x{height}, over {MAX_IMAGE_PIXELS:,} pixels; "
                                "scale it down")
            if not width or not height:
                raise DataError(f"the image {name} is {width}x{height}: it has no pixels")
            yield img
    except Image.DecompressionBombError as exc:
        raise DataError(f"the image {name} is over {MAX_IMAGE_PIXELS:,} pixels ({exc}); scale it down") from None
    except (OSError, UnidentifiedImageError, ValueError, SyntaxError) as exc:
        raise DataError(f"cannot read the image {name}: {exc}") from exc


@dataclass(frozen=True)
class _FolderScan:
    """What the image headers say: files with labels, the one size, and grayscale or colour."""

    files: list[tuple[Path, int]]
    height: int
    width: int
    gray: bool


def _scan_folder(root: Path) -> tuple[_FolderScan, tuple[str, ...]]:
    """Every image's header: one size for all, and the total checked against the memory limit
    before any pixel is decoded."""
    classes = _class_folders(root)
    files, gray, first = [], True, None
    for label, (_, paths) in enumerate(classes):
        for path in paths:
            with _open_image(path, root) as img:
                size, mode = img.size, img.mode
            if first is None:
                first = (path, size)
            elif size != first[1]:
                raise DataError(
                    f"images in {root} differ in size: {first[0].relative_to(root)} is "
                    f"{first[1][0]}x{first[1][1]} but {path.relative_to(root)} is {size[0]}x{size[1]} "
                    "(width x height); resize them to one size"
                )
            gray &= mode in _GRAY_MODES or mode in _WIDE_GRAY_MODES
            files.append((path, label))
    assert first is not None
    width, height = first[1]
    scan = _FolderScan(files, height, width, gray)
    check_array_size((len(files), 1 if gray else 3, height, width), np.dtype(np.float32), f"the images in {root}",
                     DataError)
    return scan, tuple(folder.name for folder, _ in classes)


def _folder_meta(scan: _FolderScan, names: tuple[str, ...]) -> DatasetMeta:
    shape = (1 if scan.gray else 3, scan.height, scan.width)
    return DatasetMeta(shape, "classification", len(names), names)


def peek_image_folder(params: dict[str, Any], ctx: LoadContext) -> DatasetMeta:
    """Classes and image shape from the folder names and image headers, without decoding pixels."""
    return _folder_meta(*_scan_folder(ctx.resolve(params["path"])))


def load_image_folder(params: dict[str, Any], ctx: LoadContext) -> Dataset:
    """One class per sub-folder; all grayscale images give one channel, any colour image gives three."""
    root = ctx.resolve(params["path"])
    scan, names = _scan_folder(root)
    meta = _folder_meta(scan, names)
    x = np.empty((len(scan.files), *meta.input_shape), np.float32)
    for i, (path, _) in enumerate(scan.files):
        with _open_image(path, root) as img:
            if img.mode in _WIDE_GRAY_MODES:
                pixels = np.asarray(img, dtype=np.float32)
            else:
                pixels = np.asarray(img.convert("L" if img.mode in _GRAY_MODES else "RGB"), dtype=np.float32)
        x[i] = pixels[None] if pixels.ndim == 2 else pixels.transpose(2, 0, 1)
    y = np.array([label for _, label in scan.files], np.int64)
    return build_dataset(
        "image_folder", x, y, meta, ctx, seed=params["seed"],
        test_fraction=params["test_fraction"], info={"folder": str(root), "images": len(y)}, source=str(root),
        permute_pixels=params["permute_pixels"],
    )


register(
    DatasetEntry(
        name="csv",
        title="CSV table",
        group="files",
        help="A table with a header row: every column but the target is a numeric input feature.",
        params=(
            _path_param("path", "The .csv file, with column names in its first row."),
            Param("target", "str", "", "The name of the column to predict; leave empty to use the last "
                  "column."),
            test_fraction_param(0.2),
            seed_param(),
        ),
        load=load_csv,
        path_params=("path",),
    )
)

register(
    DatasetEntry(
        name="npz",
        title="NumPy arrays (.npz)",
        group="files",
        help="A .npz file with arrays x (features or images) and y (integer classes or float targets).",
        params=(
            _path_param("path", f"The .npz file: {_NPZ_HINT}."),
            test_fraction_param(0.2),
            seed_param(),
        ),
        load=load_npz,
        peek=peek_npz,
        path_params=("path",),
    )
)

register(
    DatasetEntry(
        name="idx",
        title="IDX files (MNIST format)",
        group="files",
        help="An images file and a labels file in the IDX format MNIST uses, gzipped or not.",
        params=(
            _path_param("images", "The IDX file with the images, such as train-images-idx3-ubyte.gz."),
            _path_param("labels", "The IDX file with one label per image, such as "
                        "train-labels-idx1-ubyte.gz."),
            test_fraction_param(0.2),
            seed_param(),
            permute_pixels_param(),
        ),
        load=load_idx,
        peek=peek_idx,
        path_params=("images", "labels"),
    )
)

register(
    DatasetEntry(
        name="image_folder",
        title="Image folder",
        group="files",
        help="A folder with one sub-folder of images per class; the sub-folder names become the class names.",
        params=(
            _path_param("path", "The folder whose sub-folders (one per class) hold the images."),
            test_fraction_param(0.2),
            seed_param(),
            permute_pixels_param(),
        ),
        load=load_image_folder,
        peek=peek_image_folder,
        path_params=("path",),
    )
)
