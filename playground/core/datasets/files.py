"""Importers for a person's own data: CSV tables, numpy ``.npz`` arrays, IDX files, image folders.

Every check here exists to turn a bad file into one sentence that names the file and the
row, column or image at fault, because the person who made the file has to find and fix it.

Images are read with Pillow: it is well kept, reads PNG, JPEG, BMP and GIF with one call,
and is Qt-free, so the core stays usable from the CLI and from tests without a display.
"""

from __future__ import annotations

import csv
import gzip
import math
import struct
import zipfile
import zlib
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, UnidentifiedImageError

from playground.core.datasets.base import (
    DataError,
    Dataset,
    DatasetEntry,
    DatasetMeta,
    LoadContext,
    build_dataset,
    register,
    seed_param,
    test_fraction_param,
)
from playground.core.params import Param

# A column of whole numbers with at most this many distinct values (and fewer than half as
# many as there are rows) holds class labels, not a quantity to regress.
MAX_INTEGER_CLASSES = 20
MAX_CLASSES = 1000


def _path_param(name: str, help: str) -> Param:
    return Param(name, "path", "", help)


# --------------------------------------------------------------------------- CSV


def _read_rows(path: Path) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """Header and non-blank rows, each with the line number a text editor shows."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DataError(f"{path.name} is not a UTF-8 text file ({exc.reason} at byte {exc.start})") from exc
    except OSError as exc:
        raise DataError(f"cannot read {path}: {exc.strerror or exc}") from exc
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
    if not math.isfinite(value):
        raise DataError(f"{path.name} row {line}, column '{column}': {cell.strip()} is not a finite number")
    return value


def _csv_target(path: Path, column: str, cells: list[tuple[int, str]]) -> tuple[np.ndarray, tuple[str, ...]]:
    """Targets and class names; no class names means regression.

    Text means classes; whole numbers with few distinct values mean classes too (a 0/1 or
    0..9 label column); anything else is a quantity to regress.
    """
    texts = [cell.strip() for _, cell in cells]
    for (line, _), text in zip(cells, texts):
        if not text:
            raise DataError(f"{path.name} row {line}: the target column '{column}' is empty")
    try:
        numbers = np.array([float(text) for text in texts])
    except ValueError:
        names = sorted(set(texts))
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


def _image_array(x: np.ndarray, source: str) -> np.ndarray:
    """Features as ``(N, F)`` or images as ``(N, C, H, W)``.

    A 1-D array is one feature per example and a 3-D array grayscale images, so both gain an axis.
    """
    if x.ndim in (1, 3):
        return x[:, None]
    if x.ndim in (2, 4):
        return x
    raise DataError(f"{source} has shape {x.shape}; expected (N, features), (N, H, W) or (N, C, H, W)")


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


def _labelled_meta(x: np.ndarray, y: np.ndarray, class_names: tuple[str, ...] = ()) -> DatasetMeta:
    count = max(int(y.max()) + 1 if len(y) else 0, len(class_names))
    return DatasetMeta(tuple(x.shape[1:]), "classification", count,
                       class_names or tuple(str(i) for i in range(count)))


def _check_finite(x: np.ndarray, source: str) -> None:
    if np.issubdtype(x.dtype, np.floating) and not np.isfinite(x).all():
        raise DataError(f"{source} contains NaN or infinite values")


# --------------------------------------------------------------------------- npz


_NPZ_HINT = "save the features and targets with np.savez(path, x=..., y=...)"


def load_npz(params: dict[str, Any], ctx: LoadContext) -> Dataset:
    """Arrays ``x`` and ``y``: integer ``y`` are class indices, floating ``y`` regression targets."""
    path = ctx.resolve(params["path"])
    try:
        loaded = np.load(path, allow_pickle=False)
        if not isinstance(loaded, np.lib.npyio.NpzFile):
            raise DataError(f"{path.name} holds a single array (a .npy file); {_NPZ_HINT}")
        with loaded as data:
            names = list(data.files)
            arrays = {key: data[key] for key in ("x", "y") if key in names}
    except (OSError, ValueError, EOFError, zipfile.BadZipFile, zlib.error) as exc:
        raise DataError(f"{path.name} is not a readable .npz file without pickled objects ({exc})") from exc
    missing = [key for key in ("x", "y") if key not in arrays]
    if missing:
        raise DataError(
            f"{path.name} has no array {' or '.join(repr(k) for k in missing)} "
            f"(arrays: {', '.join(names) or 'none'}); {_NPZ_HINT}"
        )
    x, y = arrays["x"], arrays["y"]
    if not (np.issubdtype(x.dtype, np.number) or x.dtype == bool):
        raise DataError(f"{path.name}: array 'x' has type {x.dtype}; it must hold numbers")
    x = _image_array(x, f"{path.name} array 'x'")
    _check_finite(x, f"{path.name} array 'x'")
    if np.issubdtype(y.dtype, np.integer) or y.dtype == bool:
        y = _class_labels(y, len(x), f"{path.name} array 'y'", "rows in 'x'")
        meta = _labelled_meta(x, y)
    elif np.issubdtype(y.dtype, np.floating):
        if y.ndim not in (1, 2) or len(y) != len(x):
            raise DataError(
                f"{path.name} array 'y' has shape {y.shape}; expected ({len(x)},) or ({len(x)}, targets)"
            )
        _check_finite(y, f"{path.name} array 'y'")
        y = y.reshape(len(y), -1)
        meta = DatasetMeta(tuple(x.shape[1:]), "regression", y.shape[1])
    else:
        raise DataError(f"{path.name}: array 'y' has type {y.dtype}; it must hold integers or floats")
    return build_dataset(
        "npz", x, y, meta, ctx, seed=params["seed"], test_fraction=params["test_fraction"],
        info={"file": str(path)}, source=path.name,
    )


# --------------------------------------------------------------------------- IDX

_IDX_TYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
_GZIP_MAGIC = b"\x1f\x8b"


def read_idx(path: Path) -> np.ndarray:
    """An IDX file (the MNIST format), gzipped or not, as a native-endian numpy array.

    Gzip is recognised by its magic bytes, not the file name, because people unpack and
    rename these files.
    """
    try:
        raw = path.read_bytes()
        if raw[:2] == _GZIP_MAGIC:
            raw = gzip.decompress(raw)
    except (EOFError, gzip.BadGzipFile, zlib.error) as exc:
        raise DataError(f"{path.name} is a damaged or truncated gzip file ({exc})") from exc
    except OSError as exc:
        raise DataError(f"cannot read {path}: {exc.strerror or exc}") from exc
    if len(raw) < 4:
        raise DataError(f"{path.name} is truncated: {len(raw)} bytes, too short for an IDX header")
    zero, code, ndim = struct.unpack(">HBB", raw[:4])
    if zero != 0 or code not in _IDX_TYPES or ndim == 0:
        raise DataError(
            f"{path.name} is not an IDX file: wrong magic number 0x{raw[:4].hex()} "
            "(expected 00 00, a type code such as 08, and the number of dimensions)"
        )
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise DataError(f"{path.name} is truncated inside its header ({len(raw)} of {header} bytes)")
    dims = struct.unpack(f">{ndim}I", raw[4:header])
    dtype = np.dtype(_IDX_TYPES[code])
    expected = math.prod(dims) * dtype.itemsize
    found = len(raw) - header
    if found != expected:
        state = "truncated" if found < expected else "longer than its header says"
        raise DataError(
            f"{path.name} is {state}: a {' x '.join(map(str, dims))} array needs {expected} bytes of data, "
            f"the file has {found}"
        )
    return np.frombuffer(raw, dtype, offset=header).reshape(dims).astype(dtype.newbyteorder("="))


def read_idx_pair(
    images_path: Path, labels_path: Path, class_names: tuple[str, ...] = ()
) -> tuple[np.ndarray, np.ndarray]:
    """Images ``(N, C, H, W)`` (or ``(N, F)``) and their labels, checked against each other.

    With ``class_names`` (MNIST's ten), a label beyond the last name is out of range.
    """
    images = read_idx(images_path)
    if images.ndim == 1:
        raise DataError(f"{images_path.name} holds one number per example: a labels file, not images")
    images = _image_array(images, images_path.name)
    labels = read_idx(labels_path)
    if not np.issubdtype(labels.dtype, np.integer):
        raise DataError(f"{labels_path.name} holds {labels.dtype} values; labels must be whole numbers")
    labels = _class_labels(labels, len(images), labels_path.name, f"images in {images_path.name}")
    if class_names and len(labels) and labels.max() >= len(class_names):
        raise DataError(
            f"{labels_path.name}: label {int(labels.max())} is out of range; "
            f"expected 0..{len(class_names) - 1}"
        )
    return images, labels


def load_idx(params: dict[str, Any], ctx: LoadContext) -> Dataset:
    images_path, labels_path = ctx.resolve(params["images"]), ctx.resolve(params["labels"])
    x, y = read_idx_pair(images_path, labels_path)
    return build_dataset(
        "idx", x, y, _labelled_meta(x, y), ctx, seed=params["seed"], test_fraction=params["test_fraction"],
        info={"images": str(images_path), "labels": str(labels_path)}, source=images_path.name,
    )


# --------------------------------------------------------------------------- image folders

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp"}
# Pillow modes that hold one channel; everything else is read as RGB. The wide ones (16-bit,
# 32-bit, float) keep their values rather than being squeezed into 0..255.
_WIDE_GRAY_MODES = {"I", "I;16", "I;16B", "I;16L", "F"}
_GRAY_MODES = {"1", "L", "LA"}


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
    return classes


def _read_image(path: Path, root: Path) -> tuple[np.ndarray, bool]:
    """Raw pixels ``(H, W)`` for grayscale or ``(H, W, 3)`` for colour, and whether it is grayscale."""
    try:
        with Image.open(path) as img:
            if img.mode in _WIDE_GRAY_MODES:
                return np.asarray(img, dtype=np.float32), True
            gray = img.mode in _GRAY_MODES
            return np.asarray(img.convert("L" if gray else "RGB"), dtype=np.float32), gray
    except (OSError, UnidentifiedImageError, ValueError) as exc:
        raise DataError(f"cannot read the image {path.relative_to(root)}: {exc}") from exc


def load_image_folder(params: dict[str, Any], ctx: LoadContext) -> Dataset:
    """One class per sub-folder; all grayscale images give one channel, any colour image gives three."""
    root = ctx.resolve(params["path"])
    classes = _class_folders(root)
    images, labels, gray, first = [], [], True, None
    for label, (_, files) in enumerate(classes):
        for file in files:
            pixels, is_gray = _read_image(file, root)
            size = pixels.shape[:2]
            if first is None:
                first = (file, size)
            elif size != first[1]:
                raise DataError(
                    f"images in {root} differ in size: {first[0].relative_to(root)} is "
                    f"{first[1][1]}x{first[1][0]} but {file.relative_to(root)} is {size[1]}x{size[0]} "
                    "(width x height); resize them to one size"
                )
            gray &= is_gray
            images.append(pixels)
            labels.append(label)
    if gray:
        x = np.stack(images)[:, None]
    else:
        x = np.stack([np.repeat(p[..., None], 3, axis=2) if p.ndim == 2 else p for p in images])
        x = x.transpose(0, 3, 1, 2)
    y = np.array(labels, np.int64)
    names = tuple(folder.name for folder, _ in classes)
    return build_dataset(
        "image_folder", x, y, _labelled_meta(x, y, names), ctx, seed=params["seed"],
        test_fraction=params["test_fraction"], info={"folder": str(root), "images": len(y)}, source=str(root),
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
        ),
        load=load_idx,
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
        ),
        load=load_image_folder,
        path_params=("path",),
    )
)
