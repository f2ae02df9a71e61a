"""Datasets: every registry entry loads consistently, splits are reproducible, statistics come from
the training split only, and bad files give one clear message naming the file, row or column."""

from __future__ import annotations

import functools
import gzip
import hashlib
import http.server
import os
import socket
import struct
from collections.abc import Collection, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from playground.core.datasets import (
    REGISTRY,
    DataError,
    Dataset,
    LoadContext,
    dataset_meta,
    downloads,
    load_dataset,
    resolve_dataset_spec,
    split_indices,
)
from playground.core.datasets.files import read_idx
from tests.core.io_helpers import local_server

# --------------------------------------------------------------------------- helpers

IDX_CODES = {np.dtype(np.uint8): 0x08, np.dtype(np.int8): 0x09, np.dtype(">i4"): 0x0C, np.dtype(">f4"): 0x0D}


def idx_bytes(array: np.ndarray) -> bytes:
    array = np.asarray(array)
    if array.dtype.kind in "if" and array.dtype.itemsize > 1:
        array = array.astype(array.dtype.newbyteorder(">"))
    header = struct.pack(">HBB", 0, IDX_CODES[array.dtype], array.ndim)
    return header + struct.pack(f">{array.ndim}I", *array.shape) + array.tobytes()


def write_idx(path: Path, array: np.ndarray, gz: bool = True) -> Path:
    data = idx_bytes(array)
    path.write_bytes(gzip.compress(data) if gz else data)
    return path


def write_image(path: Path, pixels: np.ndarray) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(pixels.astype(np.uint8)).save(path)
    return path


def image_tree(root: Path, sizes: dict[str, list[tuple[int, int]]], rgb: Collection[str] = ()) -> Path:
    """A class-per-folder tree: ``sizes`` maps each class to (height, width) per image; files in ``rgb``
    are colour."""
    rng = np.random.default_rng(0)
    for cls, shapes in sizes.items():
        for i, (h, w) in enumerate(shapes):
            name = f"{cls}/img{i}.png"
            shape = (h, w, 3) if name in rgb else (h, w)
            write_image(root / name, rng.integers(0, 256, shape))
    return root


def train_stats(ds: Dataset) -> tuple[torch.Tensor, torch.Tensor]:
    """The statistics recomputed independently of the loader, from the train split."""
    x = ds.train.x.double()
    if x.ndim == 4:
        x = x.transpose(0, 1).reshape(x.shape[1], -1).T
        mean, std = x.mean(0).reshape(-1, 1, 1), x.std(0, correction=0).reshape(-1, 1, 1)
    elif x.ndim == 3:  # a sequence (T, F): per feature over every step
        x = x.reshape(-1, x.shape[-1])
        mean, std = x.mean(0), x.std(0, correction=0)
    else:
        mean, std = x.mean(0), x.std(0, correction=0)
    return mean.float(), torch.where(std < 1e-6, torch.ones_like(std), std).float()


def check_consistent(ds: Dataset) -> None:
    meta = ds.meta
    for split in (ds.train, ds.val, ds.test):
        assert split.x.dtype == torch.float32
        assert tuple(split.x.shape[1:]) == meta.input_shape
        assert torch.isfinite(split.x).all()
        assert len(split) > 0
        if meta.target_kind == "classification":
            assert split.y.dtype == torch.int64
            assert split.y.shape == ((len(split), *meta.input_shape) if meta.per_step_targets else (len(split),))
            assert int(split.y.min()) >= 0
            assert int(split.y.max()) < meta.target_size
        else:
            assert split.y.dtype == torch.float32
            steps = meta.input_shape[:1] if meta.per_step_targets else ()
            assert split.y.shape == (len(split), *steps, meta.target_size)
    if meta.target_kind == "classification":
        assert len(meta.class_names) == meta.target_size
    stat_shape = ((meta.input_shape[0], 1, 1) if meta.is_image else meta.input_shape[-1:]
                  if len(meta.input_shape) == 2 else meta.input_shape)
    assert ds.mean.dtype == ds.std.dtype == torch.float32
    assert ds.mean.shape == ds.std.shape == stat_shape
    mean, std = (torch.zeros(meta.input_shape), torch.ones(meta.input_shape)) if meta.is_tokens else train_stats(ds)
    torch.testing.assert_close(ds.mean, mean)
    torch.testing.assert_close(ds.std, std)


def message(excinfo: pytest.ExceptionInfo) -> str:
    text = str(excinfo.value)
    assert "\n" not in text
    assert "Traceback" not in text
    return text


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --------------------------------------------------------------------------- fixtures


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def mnist_mirror(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Tiny fake MNIST files served on 127.0.0.1, with their checksums and sizes swapped in; the
    user's mirror settings name this server and the user's dataset folder is ``tmp_path/datasets``."""
    served = tmp_path / "mirror"
    served.mkdir()
    rng = np.random.default_rng(5)
    arrays = {
        "train-images-idx3-ubyte.gz": rng.integers(0, 256, (40, 28, 28), dtype=np.uint8),
        "train-labels-idx1-ubyte.gz": np.arange(40, dtype=np.uint8) % 10,
        "t10k-images-idx3-ubyte.gz": rng.integers(0, 256, (10, 28, 28), dtype=np.uint8),
        "t10k-labels-idx1-ubyte.gz": np.arange(10, dtype=np.uint8),
    }
    expected = {}
    for name, array in arrays.items():
        data = write_idx(served / name, array).read_bytes()
        expected[name] = downloads.Expected(hashlib.md5(data).hexdigest(), len(data))
    for source in downloads.SOURCES:
        monkeypatch.setitem(downloads.EXPECTED, source.name, dict(expected))
    monkeypatch.setenv("PLAYGROUND_DATA_DIR", str(tmp_path / "datasets"))
    handler = functools.partial(_QuietHandler, directory=str(served))
    with local_server(handler, monkeypatch) as url:
        for source in downloads.SOURCES:
            monkeypatch.setenv(source.mirror_env, url)
        yield url


def file_spec(name: str, tmp_path: Path, request: pytest.FixtureRequest) -> dict[str, Any]:
    """A working spec for every registry entry, with the files the file importers need."""
    rng = np.random.default_rng(3)
    if name == "csv":
        path = tmp_path / "data.csv"
        rows = [f"{a:.3f},{b:.3f},{int(a > b)}" for a, b in rng.normal(size=(60, 2))]
        path.write_text("a,b,label\n" + "\n".join(rows) + "\n")
        return {"name": "csv", "path": str(path)}
    if name == "npz":
        path = tmp_path / "data.npz"
        np.savez(path, x=rng.normal(size=(50, 3)), y=rng.integers(0, 3, 50))
        return {"name": "npz", "path": str(path)}
    if name == "idx":
        images = write_idx(tmp_path / "img.idx.gz", rng.integers(0, 256, (30, 6, 5), dtype=np.uint8))
        labels = write_idx(tmp_path / "lab.idx", np.arange(30, dtype=np.uint8) % 4, gz=False)
        return {"name": "idx", "images": str(images), "labels": str(labels)}
    if name == "image_folder":
        root = image_tree(tmp_path / "pics", {"cat": [(9, 7)] * 6, "dog": [(9, 7)] * 6})
        return {"name": "image_folder", "path": str(root)}
    if name in ("mnist", "fashion_mnist"):
        request.getfixturevalue("mnist_mirror")
    return {"name": name}


BUILT_IN = ("circle", "xor", "gaussian", "spiral", "plane", "multi_gaussian", "curve", "digits", "digits28",
            "shapes", "text", "memory", "sine")
GENERATED = ("circle", "xor", "gaussian", "spiral", "plane", "multi_gaussian", "curve", "shapes", "memory", "sine")


# --------------------------------------------------------------------------- every entry


def test_registry_has_the_documented_datasets() -> None:
    documented = set(BUILT_IN) | {"csv", "npz", "idx", "image_folder", "mnist", "fashion_mnist"}
    assert set(REGISTRY) == documented
    for entry in REGISTRY.values():
        assert entry.help
        for param in entry.params:
            assert param.help.endswith("."), (entry.name, param.name)


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_every_entry_loads_with_defaults(name: str, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    spec = file_spec(name, tmp_path, request)
    ds = load_dataset(spec)
    assert ds.name == name
    check_consistent(ds)
    assert dataset_meta(spec) == ds.meta
    assert load_dataset(spec) is ds  # cached: the editor asks on every edit


@pytest.mark.parametrize("name", GENERATED)
def test_generated_data_is_deterministic_by_seed(name: str) -> None:
    entry = REGISTRY[name]
    _, params, problems = resolve_dataset_spec({"name": name, "samples": 200})
    assert not problems
    a, b = entry.load(params, LoadContext()), entry.load(params, LoadContext())
    c = entry.load({**params, "seed": 2}, LoadContext())
    for split in ("train", "val", "test"):
        assert torch.equal(getattr(a, split).x, getattr(b, split).x)
        assert torch.equal(getattr(a, split).y, getattr(b, split).y)
    assert not torch.equal(a.train.x, c.train.x)


def test_split_sizes_follow_fractions_and_validation_never_touches_test() -> None:
    small = load_dataset({"name": "xor", "samples": 200, "test_fraction": 0.3}, LoadContext(val_fraction=0.1))
    large = load_dataset({"name": "xor", "samples": 200, "test_fraction": 0.3}, LoadContext(val_fraction=0.4))
    assert (len(small.train), len(small.val), len(small.test)) == (126, 14, 60)
    assert (len(large.train), len(large.val), len(large.test)) == (84, 56, 60)
    assert torch.equal(small.test.x, large.test.x)


@settings(max_examples=60, deadline=None)
@given(
    n=st.integers(2, 2000),
    test_fraction=st.floats(0.05, 0.9),
    val_fraction=st.floats(0.0, 0.9),
    seed=st.integers(0, 2**32),
)
def test_split_indices_partition_and_keep_one_training_example(
    n: int, test_fraction: float, val_fraction: float, seed: int
) -> None:
    train, val, test = split_indices(n, test_fraction, val_fraction, seed)
    assert sorted(np.concatenate([train, val, test]).tolist()) == list(range(n))
    assert len(train) >= 1
    assert len(test) >= 1
    assert abs(len(test) - n * test_fraction) <= 1
    again = split_indices(n, test_fraction, val_fraction, seed)
    assert all(np.array_equal(a, b) for a, b in zip((train, val, test), again))


def test_a_single_example_is_too_little(tmp_path: Path) -> None:
    with pytest.raises(DataError) as excinfo:
        load_dataset(csv_file(tmp_path, "a,label\n1,0\n"))
    assert "data.csv has 1 example(s); it needs at least 2" in message(excinfo)


def test_normalisation_comes_from_the_train_split_only() -> None:
    ds = load_dataset({"name": "gaussian", "samples": 300, "noise": 0.3})
    everything = torch.cat([ds.train.x, ds.val.x, ds.test.x])
    assert torch.allclose(ds.mean, ds.train.x.mean(0))
    assert not torch.allclose(ds.mean, everything.mean(0))
    assert not torch.allclose(ds.mean, ds.test.x.mean(0))


def test_constant_features_get_unit_std(tmp_path: Path) -> None:
    path = tmp_path / "flat.npz"
    x = np.zeros((20, 1, 4, 4), np.float32)
    x[:, 0, 0, 0] = np.arange(20)
    np.savez(path, x=np.concatenate([x, np.zeros_like(x)], axis=1), y=np.arange(20) % 2)
    ds = load_dataset({"name": "npz", "path": str(path)})
    assert ds.std.shape == (2, 1, 1)
    assert ds.std[1].item() == 1.0
    assert ds.std[0].item() > 0


# --------------------------------------------------------------------------- built-in content


def test_toy_labels_follow_their_rules_without_noise() -> None:
    circle = load_dataset({"name": "circle", "noise": 0.0})
    x, y = circle.train.x, circle.train.y
    assert torch.equal(y, (x.norm(dim=1) < 2.5).long())
    xor = load_dataset({"name": "xor", "noise": 0.0})
    assert torch.equal(xor.train.y, (xor.train.x[:, 0] * xor.train.x[:, 1] >= 0).long())
    plane = load_dataset({"name": "plane", "noise": 0.0})
    torch.testing.assert_close(plane.train.y[:, 0], plane.train.x.sum(1) / 10)
    bumps = load_dataset({"name": "multi_gaussian"})
    assert bumps.train.y.abs().max() <= 1.0
    spiral = load_dataset({"name": "spiral", "samples": 101})
    assert len(spiral.train) + len(spiral.val) + len(spiral.test) == 101


def test_digits_are_the_1797_uci_images() -> None:
    ds = load_dataset({"name": "digits"})
    x = torch.cat([ds.train.x, ds.val.x, ds.test.x])
    y = torch.cat([ds.train.y, ds.val.y, ds.test.y])
    assert x.shape == (1797, 1, 8, 8)
    assert ds.meta.target_size == 10
    assert ds.class_names == tuple("0123456789")
    assert torch.bincount(y).tolist() == [178, 182, 177, 183, 181, 182, 181, 179, 174, 180]
    assert x.min() == 0
    assert x.max() == 16
    assert torch.equal(x, x.round())
    assert len(ds.test) == round(1797 * 0.2)


def test_digits28_are_5000_mnist_digits_at_full_size() -> None:
    ds = load_dataset({"name": "digits28"})
    x = torch.cat([ds.train.x, ds.val.x, ds.test.x])
    y = torch.cat([ds.train.y, ds.val.y, ds.test.y])
    assert x.shape == (5000, 1, 28, 28)
    assert ds.class_names == tuple("0123456789")
    assert torch.bincount(y).tolist() == [500] * 10
    assert (x.min(), x.max()) == (0, 255)  # MNIST's grey levels, unchanged
    assert torch.equal(x, x.round())
    assert len(ds.test) == 1000
    assert REGISTRY["digits28"].reference_error == REGISTRY["mnist"].reference_error


def test_digits28_ships_small() -> None:
    shipped = Path(load_dataset({"name": "digits28"}).info["file"])
    assert shipped.stat().st_size < 2_000_000, "the wheel carries it: keep it under 2 MB"


@pytest.mark.parametrize(("spec", "safe"), [
    ({"name": "digits"}, False), ({"name": "digits28"}, False), ({"name": "mnist"}, False),
    ({"name": "fashion_mnist"}, True),
    ({"name": "shapes"}, True), ({"name": "circle"}, True),
])
def test_mirror_safe_is_false_where_a_flip_changes_the_class(spec: dict[str, Any], safe: bool) -> None:
    assert dataset_meta(spec).mirror_safe is safe


@pytest.mark.parametrize("name", ["digits", "digits28"])
def test_digits_resource_missing_is_reported(name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PLAYGROUND_RESOURCES", str(tmp_path))
    entry = REGISTRY[name]
    with pytest.raises(DataError) as excinfo:
        entry.load({"test_fraction": 0.2, "seed": 1, "permute_pixels": False}, LoadContext())
    assert str(tmp_path / "datasets" / f"{name}.npz") in message(excinfo)


def test_shapes_are_balanced_images_in_unit_range() -> None:
    ds = load_dataset({"name": "shapes", "samples": 500, "noise": 0.2})
    x = torch.cat([ds.train.x, ds.val.x, ds.test.x])
    y = torch.cat([ds.train.y, ds.val.y, ds.test.y])
    assert x.shape == (500, 1, 28, 28)
    assert len(ds.class_names) >= 4
    assert torch.bincount(y).tolist() == [100] * 5
    assert x.min() >= 0
    assert x.max() <= 1
    clean = load_dataset({"name": "shapes", "samples": 50, "noise": 0.0})
    assert (clean.train.x.flatten(1) > 0).sum(1).min() > 0  # every image shows a shape


# --------------------------------------------------------------------------- CSV


def csv_file(tmp_path: Path, text: str) -> dict[str, Any]:
    path = tmp_path / "data.csv"
    path.write_text(text)
    return {"name": "csv", "path": str(path)}


def test_csv_text_target_gives_sorted_class_names(tmp_path: Path) -> None:
    rows = "".join(f"{i},{i % 3},{['setosa', 'virginica', 'versicolor'][i % 3]}\n" for i in range(30))
    ds = load_dataset(csv_file(tmp_path, "length,width,species\n" + rows))
    assert ds.class_names == ("setosa", "versicolor", "virginica")
    assert ds.input_shape == (2,)
    assert ds.info["features"] == ["length", "width"]


def test_csv_named_target_and_regression(tmp_path: Path) -> None:
    rows = "".join(f"{i * 0.5},{i},{i % 2}\n" for i in range(40))
    spec = {**csv_file(tmp_path, "price,size,flag\n" + rows), "target": "price"}
    ds = load_dataset(spec)
    assert ds.target_kind == "regression"
    assert ds.target_size == 1
    assert ds.input_shape == (2,)


def test_csv_integer_target_with_many_values_is_regression(tmp_path: Path) -> None:
    rows = "".join(f"{i},{i * 3}\n" for i in range(40))
    assert load_dataset(csv_file(tmp_path, "x,y\n" + rows)).target_kind == "regression"
    rows = "".join(f"{i},{i % 4}\n" for i in range(40))
    ds = load_dataset(csv_file(tmp_path, "x,y\n" + rows))
    assert ds.target_kind == "classification"
    assert ds.class_names == ("0", "1", "2", "3")


def test_csv_semicolon_delimiter(tmp_path: Path) -> None:
    rows = "".join(f"{i};{i % 2}\n" for i in range(20))
    assert load_dataset(csv_file(tmp_path, "x;y\n" + rows)).input_shape == (1,)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a,b,c,d\n" + "1,2,3,0\n" * 5 + "1,2,3\n",
         "data.csv row 7 has 3 values but the header has 4 columns"),
        ("a,b,label\n1,2,0\n1,x2,1\n", "data.csv row 3, column 'b': 'x2' is not a number"),
        ("a,b,label\n1,2,0\n1,,1\n", "data.csv row 3, column 'b': empty is not a number"),
        ("a,b,label\n1,2,0\n1,inf,1\n", "data.csv row 3, column 'b': inf is not a finite number"),
        ("a,b,label\n1,2,0\n1,2,\n", "data.csv row 3: the target column 'label' is empty"),
        ("", "data.csv is empty"),
        ("\n  \n", "data.csv is empty"),
        ("a,b,label\n", "data.csv has a header row but no data rows"),
        ("label\n1\n2\n", "data.csv has only the target column 'label'"),
    ],
)
def test_csv_bad_data_names_file_row_and_column(tmp_path: Path, text: str, expected: str) -> None:
    with pytest.raises(DataError) as excinfo:
        load_dataset(csv_file(tmp_path, text))
    assert expected in message(excinfo)


def test_csv_missing_target_lists_the_columns(tmp_path: Path) -> None:
    spec = {**csv_file(tmp_path, "a,b,label\n1,2,0\n3,4,1\n"), "target": "class"}
    with pytest.raises(DataError) as excinfo:
        load_dataset(spec)
    assert "data.csv has no column 'class' (columns: a, b, label)" in message(excinfo)


def test_missing_and_unset_paths_are_reported_before_loading(tmp_path: Path) -> None:
    _, _, problems = resolve_dataset_spec({"name": "csv", "path": "nope.csv"}, LoadContext(base_dir=tmp_path))
    assert [p.field for p in problems] == ["dataset.path"]
    assert "nope.csv" in problems[0].message
    assert "does not exist" in problems[0].message
    assert str(tmp_path) in problems[0].message
    _, _, problems = resolve_dataset_spec({"name": "idx", "images": "a.gz", "labels": "b.gz"})
    assert [p.field for p in problems] == ["dataset.images", "dataset.labels"]
    _, _, problems = resolve_dataset_spec({"name": "image_folder"})
    assert "path is not set" in problems[0].message
    with pytest.raises(DataError, match="does not exist"):
        load_dataset({"name": "npz", "path": str(tmp_path / "gone.npz")})


def test_relative_paths_resolve_from_the_project_folder(tmp_path: Path) -> None:
    csv_file(tmp_path, "a,label\n" + "".join(f"{i},{i % 2}\n" for i in range(10)))
    ds = load_dataset({"name": "csv", "path": "data.csv"}, LoadContext(base_dir=tmp_path))
    assert ds.input_shape == (1,)


# --------------------------------------------------------------------------- npz


def test_npz_images_and_regression_targets(tmp_path: Path) -> None:
    path = tmp_path / "img.npz"
    np.savez(path, x=np.random.default_rng(0).random((20, 5, 6)), y=np.ones((20, 2), np.float32))
    ds = load_dataset({"name": "npz", "path": str(path)})
    assert ds.input_shape == (1, 5, 6)
    assert ds.target_kind == "regression"
    assert ds.target_size == 2


@pytest.mark.parametrize(
    ("arrays", "expected"),
    [
        ({"x": np.zeros((4, 2))}, "data.npz has no array 'y' (arrays: x)"),
        ({"features": np.zeros((4, 2))}, "data.npz has no array 'x' or 'y' (arrays: features)"),
        ({"x": np.zeros((4, 2)), "y": np.array([0, 1, -1, 0])}, "label -1 is out of range"),
        ({"x": np.zeros((4, 2)), "y": np.array([0, 1, 1])},
         "data.npz array 'y' has 3 labels but there are 4 rows in 'x'"),
        ({"x": np.array(["a", "b"]), "y": np.array([0, 1])}, "data.npz: array 'x' has type <U1"),
        ({"x": np.full((4, 2), np.nan), "y": np.array([0, 1, 1, 0])}, "data.npz array 'x' contains NaN"),
        ({"x": np.zeros((4, 2, 2, 2, 2)), "y": np.arange(4)}, "data.npz array 'x' has shape (4, 2, 2, 2, 2)"),
        ({"x": np.array([{}], dtype=object), "y": np.array([0])},
         "data.npz array 'x' holds Python objects (pickles), which are never loaded"),
    ],
)
def test_npz_bad_data(tmp_path: Path, arrays: dict[str, np.ndarray], expected: str) -> None:
    path = tmp_path / "data.npz"
    np.savez(path, **arrays)
    with pytest.raises(DataError) as excinfo:
        load_dataset({"name": "npz", "path": str(path)})
    assert expected in message(excinfo)


def test_npz_that_is_not_a_zip(tmp_path: Path) -> None:
    path = tmp_path / "data.npz"
    path.write_text("hello")
    with pytest.raises(DataError, match=r"data\.npz is not a readable \.npz file"):
        load_dataset({"name": "npz", "path": str(path)})


# --------------------------------------------------------------------------- IDX


def idx_spec(images: Path, labels: Path) -> dict[str, Any]:
    return {"name": "idx", "images": str(images), "labels": str(labels)}


def test_idx_reads_gzipped_and_plain_files_alike(tmp_path: Path) -> None:
    images = np.random.default_rng(1).integers(0, 256, (12, 4, 4), dtype=np.uint8)
    labels = np.arange(12, dtype=np.uint8) % 3
    plain = load_dataset(
        idx_spec(write_idx(tmp_path / "i", images, gz=False), write_idx(tmp_path / "l", labels, gz=False))
    )
    zipped = load_dataset(
        idx_spec(write_idx(tmp_path / "i.gz", images), write_idx(tmp_path / "l.gz", labels))
    )
    assert torch.equal(plain.train.x, zipped.train.x)
    assert plain.input_shape == (1, 4, 4)
    assert plain.target_size == 3


def test_idx_wide_types_are_read_big_endian(tmp_path: Path) -> None:
    images = np.arange(2 * 3 * 3, dtype=np.float32).reshape(2, 3, 3) * 1000
    assert np.array_equal(read_idx(write_idx(tmp_path / "f", images.astype(">f4"))), images)


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ("truncated",
         "images.idx is truncated: a 10 x 4 x 4 array needs 160 bytes of data, the file has 100"),
        ("magic", "images.idx is not an IDX file: wrong magic number 0x504b0304"),
        ("short", "images.idx is truncated: 2 bytes"),
        ("gzip", "images.idx is a damaged or truncated gzip file"),
        ("count", "labels.idx has 9 labels but there are 10 images in images.idx"),
        ("negative", "labels.idx: label -3 is out of range"),
        ("float_labels", "labels.idx holds float32 values; labels must be whole numbers"),
        ("labels_as_images", "images.idx holds one number per example"),
    ],
)
def test_idx_bad_files(tmp_path: Path, case: str, expected: str) -> None:
    images, labels = tmp_path / "images.idx", tmp_path / "labels.idx"
    good = idx_bytes(np.zeros((10, 4, 4), np.uint8))
    images.write_bytes(good)
    write_idx(labels, np.zeros(10, np.uint8))
    if case == "truncated":
        images.write_bytes(good[:-60])
    elif case == "magic":
        images.write_bytes(b"PK\x03\x04" + good[4:])
    elif case == "short":
        images.write_bytes(b"\x00\x00")
    elif case == "gzip":
        images.write_bytes(gzip.compress(good)[:-20])
    elif case == "count":
        write_idx(labels, np.zeros(9, np.uint8))
    elif case == "negative":
        write_idx(labels, np.array([0] * 9 + [-3], np.int8))
    elif case == "float_labels":
        write_idx(labels, np.zeros(10, np.float32))
    elif case == "labels_as_images":
        write_idx(images, np.zeros(10, np.uint8))
    with pytest.raises(DataError) as excinfo:
        load_dataset(idx_spec(images, labels))
    assert expected in message(excinfo)


# --------------------------------------------------------------------------- image folders


def test_image_folder_grayscale_and_colour(tmp_path: Path) -> None:
    gray = load_dataset({"name": "image_folder", "path": str(image_tree(tmp_path / "g", {
        "b_zebra": [(5, 6)] * 4, "a_ant": [(5, 6)] * 4}))})
    assert gray.input_shape == (1, 5, 6)
    assert gray.class_names == ("a_ant", "b_zebra")
    mixed_root = image_tree(tmp_path / "c", {"x": [(5, 6)] * 4, "y": [(5, 6)] * 4}, rgb={"y/img2.png"})
    colour = load_dataset({"name": "image_folder", "path": str(mixed_root)})
    assert colour.input_shape == (3, 5, 6)
    assert colour.mean.shape == (3, 1, 1)
    x = torch.cat([colour.train.x, colour.val.x, colour.test.x])
    assert x.max() <= 255
    assert x.min() >= 0


def test_image_folder_skips_non_images(tmp_path: Path) -> None:
    root = image_tree(tmp_path / "p", {"a": [(4, 4)] * 3, "b": [(4, 4)] * 3})
    (root / "a" / "notes.txt").write_text("not an image")
    (root / ".hidden").mkdir()
    ds = load_dataset({"name": "image_folder", "path": str(root)})
    assert ds.class_names == ("a", "b")
    assert len(ds.train) + len(ds.val) + len(ds.test) == 6


def test_image_folder_bad_data(tmp_path: Path) -> None:
    def fails(root: Path) -> str:
        with pytest.raises(DataError) as excinfo:
            load_dataset({"name": "image_folder", "path": str(root)})
        return message(excinfo)

    empty = tmp_path / "empty"
    empty.mkdir()
    assert f"the folder {empty} has no sub-folders" in fails(empty)

    hollow = image_tree(tmp_path / "hollow", {"cats": [(4, 4)] * 2})
    (hollow / "dogs").mkdir()
    assert f"the class folder {hollow / 'dogs'} has no images" in fails(hollow)

    single = image_tree(tmp_path / "single", {"cats": [(4, 4)] * 2})
    assert "one class folder (cats)" in fails(single)

    sizes = image_tree(tmp_path / "sizes", {"a": [(4, 4), (4, 4)], "b": [(4, 4), (6, 5)]})
    text = fails(sizes)
    assert "a/img0.png is 4x4" in text
    assert "b/img1.png is 5x6" in text

    broken = image_tree(tmp_path / "broken", {"a": [(4, 4)] * 2, "b": [(4, 4)] * 2})
    (broken / "b" / "img1.png").write_bytes(b"\x89PNG not really")
    assert "cannot read the image b/img1.png" in fails(broken)


# --------------------------------------------------------------------------- downloads


def load_uncached(spec: dict[str, Any]) -> Dataset:
    """Load past the dataset cache: these tests change the user's folder and mirror, which its key
    does not hold (within one app session they never change)."""
    entry, params, problems = resolve_dataset_spec(spec)
    assert entry is not None
    assert not problems
    return entry.load(params, LoadContext())


def test_mnist_fetches_verifies_and_then_works_offline(tmp_path: Path, mnist_mirror: str,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "datasets" / "mnist"
    ds = load_uncached({"name": "mnist"})
    assert sorted(p.name for p in folder.iterdir()) == sorted(downloads.FILES)
    assert (len(ds.train) + len(ds.val), len(ds.test)) == (40, 10)
    assert ds.input_shape == (1, 28, 28)
    assert ds.target_size == 10
    monkeypatch.setenv("PLAYGROUND_MNIST_MIRROR", "http://127.0.0.1:9/")
    again = REGISTRY["mnist"].load({"cache_dir": "", "mirror": "", "download": False, "seed": 1}, LoadContext())
    assert torch.equal(again.test.x, ds.test.x)


def test_download_folder_and_mirror_come_from_the_user_settings(tmp_path: Path, mnist_mirror: str,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PLAYGROUND_DATA_DIR", str(tmp_path / "data"))
    ds = REGISTRY["fashion_mnist"].load({"cache_dir": "", "mirror": "", "download": True, "seed": 1}, LoadContext())
    assert ds.class_names[0] == "T-shirt/top"
    assert (tmp_path / "data" / "fashion_mnist" / "t10k-labels-idx1-ubyte.gz").is_file()
    assert downloads.cache_folder("mnist") == tmp_path / "data" / "mnist"
    monkeypatch.delenv("PLAYGROUND_DATA_DIR")
    home = Path(os.environ["PLAYGROUND_HOME"])
    assert downloads.cache_folder("mnist") == home / "cache" / "mnist"
    assert downloads.mirror_url(downloads.SOURCES[0]) == mnist_mirror
    monkeypatch.delenv("PLAYGROUND_MNIST_MIRROR")
    assert downloads.mirror_url(downloads.SOURCES[0]) == downloads.SOURCES[0].mirror


def test_checksum_mismatch_keeps_nothing(tmp_path: Path, mnist_mirror: str, monkeypatch: pytest.MonkeyPatch) -> None:
    file = "t10k-images-idx3-ubyte.gz"
    right = downloads.EXPECTED["mnist"][file]
    monkeypatch.setitem(downloads.EXPECTED["mnist"], file, downloads.Expected("0" * 32, right.size))
    with pytest.raises(DataError) as excinfo:
        load_uncached({"name": "mnist"})
    text = message(excinfo)
    assert "t10k-images-idx3-ubyte.gz" in text
    assert "MD5" in text
    assert "nothing was saved" in text
    left = sorted(p.name for p in (tmp_path / "datasets" / "mnist").iterdir())
    assert "t10k-images-idx3-ubyte.gz" not in left
    assert not [name for name in left if name.endswith(".part")]


def test_offline_message_names_the_files_and_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("no_proxy", "127.0.0.1")
    monkeypatch.setenv("PLAYGROUND_MNIST_MIRROR", f"http://127.0.0.1:{free_port()}/")
    folder = downloads.cache_folder("mnist")
    with pytest.raises(DataError) as excinfo:
        load_uncached({"name": "mnist"})
    text = message(excinfo)
    assert f"put them in the folder {folder}" in text
    for name in downloads.FILES:
        assert name in text
    assert not [p for p in folder.iterdir() if p.name.endswith(".part")]
    with pytest.raises(DataError, match="downloads are turned off"):
        load_uncached({"name": "mnist", "download": False})


def test_a_mirror_without_the_files_is_reported(mnist_mirror: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PLAYGROUND_FASHION_MNIST_MIRROR", mnist_mirror + "nowhere")
    with pytest.raises(DataError) as excinfo:
        load_uncached({"name": "fashion_mnist"})
    text = message(excinfo)
    assert f"downloading from {mnist_mirror}nowhere/ failed" in text
    assert str(downloads.cache_folder("fashion_mnist")) in text


def user_mnist_folder(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """The user's MNIST folder, made empty under ``tmp_path``."""
    monkeypatch.setenv("PLAYGROUND_DATA_DIR", str(tmp_path))
    folder = downloads.cache_folder("mnist")
    folder.mkdir()
    return folder


def test_mnist_rejects_images_of_another_size(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cache = user_mnist_folder(monkeypatch, tmp_path)
    for name in downloads.FILES:
        array = np.zeros((3, 8, 8), np.uint8) if "images" in name else np.zeros(3, np.uint8)
        write_idx(cache / name, array)
    with pytest.raises(DataError) as excinfo:
        load_uncached({"name": "mnist", "download": False})
    assert "train-images-idx3-ubyte.gz holds images of shape (1, 8, 8)" in message(excinfo)


def test_mnist_accepts_unpacked_files_and_checks_label_range(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cache = user_mnist_folder(monkeypatch, tmp_path)
    images = np.zeros((5, 28, 28), np.uint8)
    for name in downloads.FILES:
        array = images if "images" in name else np.array([0, 1, 2, 3, 12], np.uint8)
        write_idx(cache / name.removesuffix(".gz"), array, gz=False)
    with pytest.raises(DataError) as excinfo:
        load_uncached({"name": "mnist", "download": False})
    assert "train-labels-idx1-ubyte: label 12 is out of range; expected 0..9" in message(excinfo)
