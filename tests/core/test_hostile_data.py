"""Hostile and careless data files: each is refused with a message naming the file, quickly, without
a traceback, a hang or a blow-up in memory (issue 11, section 3). The bombs are built small on disk:
the limits are lowered where a real bomb would take seconds to build."""

from __future__ import annotations

import gzip
import io
import os
import struct
import threading
import zipfile
import zlib
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from playground.core import safe_read
from playground.core.datasets import DataError, dataset_meta, load_dataset
from playground.core.datasets import files as data_files
from tests.core.io_helpers import Trap


def npy_bytes(shape: tuple[int, ...], descr: Any, data: bytes = b"") -> bytes:
    """A .npy member: a header declaring ``shape`` and ``descr``, then whatever ``data`` is given."""
    out = io.BytesIO()
    np.lib.format.write_array_header_1_0(out, {"descr": descr, "fortran_order": False, "shape": shape})
    return out.getvalue() + data


def write_npz(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, content in members.items():
            zf.writestr(f"{name}.npy", content)
    return path


def array_bytes(a: np.ndarray) -> bytes:
    out = io.BytesIO()
    np.save(out, a)
    return out.getvalue()


def idx_bytes(array: np.ndarray, code: int = 0x08) -> bytes:
    return struct.pack(">HBB", 0, code, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape) + array.tobytes()


def refused(spec: dict[str, Any], names: str) -> str:
    """Both ``check``'s path (``dataset_meta``) and the loader refuse ``spec`` with a DataError naming ``names``."""
    for read in (dataset_meta, load_dataset):
        with pytest.raises(DataError) as info:
            read(spec)
        assert names in str(info.value), str(info.value)
    return str(info.value)


def labels_npz(path: Path, x: np.ndarray | bytes, n: int = 4) -> dict[str, Any]:
    x_member = x if isinstance(x, bytes) else array_bytes(x)
    write_npz(path, {"x": x_member, "y": array_bytes(np.arange(n) % 2)})
    return {"name": "npz", "path": str(path)}


# --------------------------------------------------------------------------- not regular files


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="needs /dev/zero")
@pytest.mark.parametrize("name", ["csv", "npz"])
def test_a_device_is_refused_without_reading_it(name: str) -> None:
    assert "is a device, not a file" in refused({"name": name, "path": "/dev/zero"}, "/dev/zero")


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="needs /dev/zero")
def test_a_link_to_a_device_is_refused(tmp_path: Path) -> None:
    (tmp_path / "data.csv").symlink_to("/dev/zero")
    refused({"name": "csv", "path": str(tmp_path / "data.csv")}, "data.csv")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
@pytest.mark.parametrize("spec", [{"name": "csv"}, {"name": "npz"}, {"name": "idx", "labels": "fifo"}])
def test_a_fifo_is_refused_without_blocking(spec: dict[str, Any], tmp_path: Path) -> None:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    key = "images" if spec["name"] == "idx" else "path"
    spec = {**spec, key: str(fifo), "labels": str(fifo)} if spec["name"] == "idx" else {**spec, key: str(fifo)}
    outcome: list[BaseException | None] = []

    def attempt() -> None:
        try:
            load_dataset(spec)
            outcome.append(None)
        except BaseException as exc:  # noqa: BLE001 (handed to the test thread)
            outcome.append(exc)

    worker = threading.Thread(target=attempt, daemon=True)
    worker.start()
    worker.join(10)
    if worker.is_alive():  # the old behaviour: unblock the reader so the thread ends
        os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
        pytest.fail("reading a FIFO blocked")
    assert isinstance(outcome[0], DataError)
    assert f"{fifo}: is a pipe (FIFO), not a file" in str(outcome[0])


def test_a_folder_given_as_a_data_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "data.npz").mkdir()
    assert "is a folder, not a file" in refused({"name": "npz", "path": str(tmp_path / "data.npz")}, "data.npz")


def test_files_over_the_size_limit_are_refused_before_reading(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    big = tmp_path / "big.csv"
    big.write_text("a,y\n" + "1,0\n2,1\n" * 2000)
    monkeypatch.setattr(data_files, "MAX_CSV_BYTES", 10_000)
    assert "files over" in refused({"name": "csv", "path": str(big)}, "big.csv")
    monkeypatch.setattr(safe_read, "MAX_FILE_BYTES", 100)
    assert "files over" in refused(labels_npz(tmp_path / "big.npz", np.zeros((4, 50))), "big.npz")


# --------------------------------------------------------------------------- bombs


def test_an_npz_header_declaring_gigabytes_is_refused_before_allocating(tmp_path: Path) -> None:
    spec = labels_npz(tmp_path / "bomb.npz", npy_bytes((10**6, 10**4), "<f8"))
    assert "declares a 1000000 x 10000 array (74.5 GB in memory); arrays over 2 GB are not loaded" in refused(
        spec, "bomb.npz")


def deflated_zeros(n: int) -> bytes:
    return zlib.compress(bytes(n), 9)


def test_an_npz_that_unpacks_past_the_limit_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A real bomb (4 MB of zeros in a few kB), with the limit lowered to 1 MB so it stays small."""
    monkeypatch.setattr(safe_read, "MAX_DECODED_BYTES", 1 << 20)
    path = tmp_path / "bomb.npz"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        zf.writestr("x.npy", npy_bytes((1 << 16, 16), "<f4", bytes(4 << 20)))
        zf.writestr("y.npy", array_bytes(np.zeros(1 << 16, np.int64)))
    assert path.stat().st_size < 64 << 10
    assert "arrays over 0 GB are not loaded" in refused({"name": "npz", "path": str(path)}, "bomb.npz")


def test_a_gzipped_idx_that_unpacks_past_the_limit_is_refused(tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(safe_read, "MAX_DECODED_BYTES", 1 << 20)
    images, labels = tmp_path / "images.gz", tmp_path / "labels.gz"
    images.write_bytes(gzip.compress(idx_bytes(np.zeros((1 << 12, 32, 32), np.uint8)), 9))
    labels.write_bytes(gzip.compress(idx_bytes(np.zeros(1 << 12, np.uint8))))
    assert images.stat().st_size < 64 << 10
    spec = {"name": "idx", "images": str(images), "labels": str(labels)}
    assert "declares a 4096 x 32 x 32 array" in refused(spec, "images.gz")


def test_an_idx_header_declaring_gigabytes_is_refused(tmp_path: Path) -> None:
    images, labels = tmp_path / "images.idx", tmp_path / "labels.idx"
    images.write_bytes(struct.pack(">HBB3I", 0, 0x0D, 3, 10**6, 1000, 1000))
    labels.write_bytes(idx_bytes(np.zeros(10**6, np.uint8)))
    refused({"name": "idx", "images": str(images), "labels": str(labels)}, "images.idx")


def test_a_zip_directory_of_thousands_of_members_is_refused(tmp_path: Path) -> None:
    path = write_npz(tmp_path / "many.npz", {f"a{i}": b"" for i in range(safe_read.MAX_ZIP_MEMBERS + 1)})
    assert "an .npz holds a few arrays" in refused({"name": "npz", "path": str(path)}, "many.npz")


NPZ_DTYPES = ["<f4", "<f8", "<f2", "|u1", "<i8", "|b1", "<c8", "<c16", "|O", "<U3", "|S2", "<M8[s]", "|V4",
              [("a", "<f4"), ("b", "<i4")], ">f4"]


@settings(max_examples=80, deadline=None)
@given(shape=st.lists(st.integers(0, 2**40), min_size=0, max_size=5).map(tuple),
       descr=st.sampled_from(NPZ_DTYPES), with_data=st.booleans())
def test_random_npz_headers_are_read_or_refused_by_name(tmp_path_factory: pytest.TempPathFactory,
                                                        shape: tuple[int, ...], descr: Any, with_data: bool) -> None:
    """Whatever a member's header declares, the result is a dataset or a DataError naming the file,
    and nothing larger than the data actually there is allocated."""
    dtype = np.dtype(descr)
    size = int(np.prod(shape, dtype=object)) * dtype.itemsize
    data = bytes(size) if with_data and size <= 1 << 16 and not dtype.hasobject else b""
    path = tmp_path_factory.mktemp("npz") / "random.npz"
    n = shape[0] if shape and shape[0] <= 1 << 16 else 4
    write_npz(path, {"x": npy_bytes(shape, descr, data), "y": array_bytes(np.arange(n) % 3)})
    for read in (dataset_meta, load_dataset):
        try:
            read({"name": "npz", "path": str(path)})
        except DataError as exc:
            message = str(exc)
        else:
            message = "read: random.npz"
        assert "random.npz" in message


# --------------------------------------------------------------------------- values and types


def test_nan_pixels_in_an_idx_file_are_refused_naming_the_example(tmp_path: Path) -> None:
    images = np.ones((6, 3, 3), np.float32)
    images[4, 1, 2] = np.nan
    (tmp_path / "images.idx").write_bytes(idx_bytes(images.astype(">f4"), 0x0D))
    (tmp_path / "labels.idx").write_bytes(idx_bytes(np.arange(6, dtype=np.uint8) % 2))
    with pytest.raises(DataError, match=r"images\.idx contains NaN, infinite or too large values \(first in "
                                        r"example 4: nan\)"):
        load_dataset({"name": "idx", "images": str(tmp_path / "images.idx"), "labels": str(tmp_path / "labels.idx")})


@pytest.mark.parametrize(("bad", "dtype"), [(np.inf, np.float64), (-np.inf, np.float64), (1e300, np.float64),
                                           (np.inf, np.float32), (np.inf, np.float16), (-np.inf, np.float16)])
def test_infinite_or_float32_overflowing_features_are_refused(bad: float, dtype: type, tmp_path: Path) -> None:
    """Half-precision files too: compared with the float32 limit cast to float16 (infinity), an
    infinite value passed as "not above the limit"."""
    x = np.zeros((4, 2), dtype)
    x[2, 1] = bad
    with pytest.raises(DataError, match=r"data\.npz array 'x' contains NaN, infinite or too large values"):
        load_dataset(labels_npz(tmp_path / "data.npz", x))


def test_complex_features_are_refused(tmp_path: Path) -> None:
    spec = labels_npz(tmp_path / "data.npz", np.ones((4, 2), np.complex64) * 1j)
    assert "array 'x' holds complex numbers (complex64)" in refused(spec, "data.npz")


def test_structured_features_are_refused(tmp_path: Path) -> None:
    spec = labels_npz(tmp_path / "data.npz", np.zeros(4, [("a", "<f4"), ("b", "<i4")]))
    assert "array 'x' has type" in refused(spec, "data.npz")


@pytest.mark.parametrize("shape", [(4, 0), (4, 0, 5), (4, 3, 5, 0)])
def test_examples_without_values_are_refused(shape: tuple[int, ...], tmp_path: Path) -> None:
    spec = labels_npz(tmp_path / "data.npz", np.zeros(shape, np.float32))
    assert "every example needs at least one value" in refused(spec, "data.npz")


def test_idx_images_of_zero_height_are_refused(tmp_path: Path) -> None:
    (tmp_path / "images.idx").write_bytes(idx_bytes(np.zeros((4, 0, 5), np.uint8)))
    (tmp_path / "labels.idx").write_bytes(idx_bytes(np.arange(4, dtype=np.uint8) % 2))
    spec = {"name": "idx", "images": str(tmp_path / "images.idx"), "labels": str(tmp_path / "labels.idx")}
    assert "every example needs at least one value" in refused(spec, "images.idx")


def test_ten_thousand_text_classes_in_a_csv_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "many.csv"
    path.write_text("a,label\n" + "".join(f"{i},c{i}\n" for i in range(10_000)))
    assert "has 10,000 different values; at most 1000 classes" in refused({"name": "csv", "path": str(path)},
                                                                          "many.csv")


def png_header(width: int, height: int) -> bytes:
    """A PNG whose header declares ``width`` x ``height`` (the pixels are never there)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"")) + chunk(b"IEND", b""))


@pytest.mark.parametrize("side", [15_000, 5_000])
def test_a_huge_image_is_refused_before_decoding(side: int, tmp_path: Path) -> None:
    """225 megapixels (Pillow's own bomb error) and 25 (under Pillow's limit, over ours)."""
    root = tmp_path / "images"
    for name in ("a", "b"):
        (root / name).mkdir(parents=True)
        Image.new("L", (4, 4)).save(root / name / "ok.png")
    (root / "b" / "zz_huge.png").write_bytes(png_header(side, side))
    assert "pixels" in refused({"name": "image_folder", "path": str(root)}, "zz_huge.png")


def test_a_folder_of_images_past_the_memory_limit_is_refused_from_headers(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(safe_read, "MAX_DECODED_BYTES", 1 << 20)
    root = tmp_path / "images"
    for name in ("a", "b"):
        (root / name).mkdir(parents=True)
        for i in range(3):
            (root / name / f"{i}.png").write_bytes(png_header(400, 400))
    assert "arrays over 0 GB are not loaded" in refused({"name": "image_folder", "path": str(root)}, str(root))


# --------------------------------------------------------------------------- pickles are never executed


def test_a_pickled_npz_member_is_never_unpickled(tmp_path: Path) -> None:
    marker = tmp_path / "executed"
    trapped = np.empty(4, dtype=object)
    trapped[:] = [Trap(marker)] * 4
    path = tmp_path / "trap.npz"
    np.savez(path, x=trapped, y=np.arange(4) % 2)
    assert "holds Python objects (pickles), which are never loaded" in refused(
        {"name": "npz", "path": str(path)}, "trap.npz")
    import pickle

    write_npz(path, {"x": pickle.dumps(Trap(marker)), "y": array_bytes(np.arange(4) % 2)})
    assert "is not a .npy array numpy can read without pickles" in refused({"name": "npz", "path": str(path)},
                                                                           "trap.npz")
    assert not marker.exists()


# --------------------------------------------------------------------------- check reads headers


def test_check_reads_headers_and_labels_only_and_agrees_with_the_loader(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``dataset_meta`` (what ``check`` calls) never reads an npz's ``x`` or an IDX file's pixels, and gives
    the meta the full load gives."""
    rng = np.random.default_rng(0)
    npz_class = labels_npz(tmp_path / "c.npz", rng.random((10, 2, 3)), n=10)
    npz_reg = tmp_path / "r.npz"
    np.savez(npz_reg, x=rng.random((10, 4)), y=rng.random((10, 2)))
    (tmp_path / "i.idx").write_bytes(gzip.compress(idx_bytes(rng.integers(0, 255, (9, 5, 4), np.uint8))))
    (tmp_path / "l.idx").write_bytes(idx_bytes(np.arange(9, dtype=np.uint8) % 4))
    root = tmp_path / "folder"
    for name in ("a", "b", "c"):
        (root / name).mkdir(parents=True)
        for i in range(2):
            Image.new("RGB" if name == "c" and i else "L", (6, 3)).save(root / name / f"{i}.png")
    specs = [npz_class, {"name": "npz", "path": str(npz_reg)},
             {"name": "idx", "images": str(tmp_path / "i.idx"), "labels": str(tmp_path / "l.idx")},
             {"name": "image_folder", "path": str(root)}]
    read_arrays: list[str] = []
    real_array, real_idx = safe_read.NpzReader.array, data_files.read_idx
    with monkeypatch.context() as m:
        m.setattr(safe_read.NpzReader, "array", lambda self, name: read_arrays.append(name) or real_array(self, name))
        m.setattr(data_files, "read_idx", lambda path: read_arrays.append(path.name) or real_idx(path))
        metas = [dataset_meta(spec) for spec in specs]
    assert read_arrays == ["y", "y", "l.idx"]
    assert metas == [load_dataset(spec).meta for spec in specs]
    assert metas[3].input_shape == (3, 3, 6)


def test_check_finds_a_truncated_idx_file_from_its_length(tmp_path: Path) -> None:
    good = idx_bytes(np.zeros((10, 4, 4), np.uint8))
    (tmp_path / "l.idx").write_bytes(idx_bytes(np.zeros(10, np.uint8)))
    for name, content in (("plain.idx", good[:-7]), ("zipped.idx", gzip.compress(good[:-7]))):
        (tmp_path / name).write_bytes(content)
        spec = {"name": "idx", "images": str(tmp_path / name), "labels": str(tmp_path / "l.idx")}
        assert "is truncated: a 10 x 4 x 4 array needs 160 bytes of data, the file has 153" in refused(spec, name)
