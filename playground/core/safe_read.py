"""Reading files a person was handed, with limits: the one reader every data importer and the
weights loader go through.

A path in a project can point anywhere: at ``/dev/zero`` (endless), at a FIFO (an open that
never returns), at a folder, or at a small archive whose header promises gigabytes. Each of
those has to become one sentence naming the file, before anything blocks or anything big is
allocated. So a file is only ever opened here: regular files only, checked with ``stat``
before opening and ``fstat`` after (opened non-blocking, so a FIFO swapped in between cannot
hang), no larger than ``MAX_FILE_BYTES`` on disk, and every array's declared size is checked
against ``MAX_DECODED_BYTES`` before memory is allocated for it. Nothing here unpickles.

Callers pass the ``UserError`` subclass their messages are (``DataError`` for datasets,
``WeightsError`` for weights files), so the reader's messages read like theirs.
"""

from __future__ import annotations

import io
import math
import os
import stat
import struct
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, cast

import numpy as np

from playground.core.params import UserError

#: The largest data or weights file read, on disk (FORMAT.md, "Limits on files").
MAX_FILE_BYTES = 1 << 30
#: The most memory one array may take once decoded, counting every number at least as the
#: 4-byte float32 the network trains on (uint8 pixels count 4 bytes each).
MAX_DECODED_BYTES = 2 << 30
#: An .npz holds a few arrays; a zip directory with more members than this is not one.
MAX_ZIP_MEMBERS = 1000
_NPY_HEADER_BYTES = 10_000
_EOCD = b"PK\x05\x06"
_EOCD_SEARCH = 22 + 0xFFFF  # the end record and the longest zip comment
_READ_CHUNK = 1 << 24


def _describe(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a pipe (FIFO)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def _check_regular(path: Path, st: os.stat_result, error: type[UserError], limit: int | None) -> None:
    limit = MAX_FILE_BYTES if limit is None else limit
    if not stat.S_ISREG(st.st_mode):
        raise error(f"{path}: is {_describe(st.st_mode)}, not a file; choose a regular file")
    if st.st_size > limit:
        raise error(f"{path}: is {st.st_size / 2**20:,.0f} MB; files over {limit / 2**20:,.0f} MB are not read")


@contextmanager
def open_regular(path: Path, error: type[UserError], limit: int | None = None) -> Iterator[BinaryIO]:
    """Open ``path`` for binary reading if it is a regular file of at most ``limit`` bytes
    (``MAX_FILE_BYTES`` unless given).

    ``stat`` comes first so a device, FIFO or folder is refused without opening it; the open is
    non-blocking and ``fstat`` checks the file actually opened, so a FIFO put in its place
    meanwhile is refused too instead of blocking forever.
    """
    try:
        _check_regular(path, os.stat(path), error, limit)
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    except FileNotFoundError:
        raise error(f"{path}: no such file") from None
    except OSError as exc:
        raise error(f"cannot read {path}: {exc.strerror or exc}") from None
    with os.fdopen(fd, "rb") as f:
        _check_regular(path, os.fstat(fd), error, limit)
        yield f


def read_exactly(stream: BinaryIO, n: int) -> bytearray:
    """Up to ``n`` bytes into one buffer allocated once (shorter only at the end of the stream)."""
    buf = bytearray(n)
    view, got = memoryview(buf), 0
    while got < n:
        k = stream.readinto(view[got:got + _READ_CHUNK])
        if not k:
            break
        got += k
    del view
    if got < n:
        del buf[got:]
    return buf


def read_capped(path: Path, error: type[UserError], limit: int | None = None) -> bytes:
    """The whole file, refused if it is not a regular file or is over ``limit`` (``MAX_FILE_BYTES``).

    The read itself stops after ``limit`` bytes too: files in /proc say they are empty.
    """
    limit = MAX_FILE_BYTES if limit is None else limit
    with open_regular(path, error, limit) as f:
        data = f.read(limit + 1)
    if len(data) > limit:
        raise error(f"{path}: is over {limit / 2**20:,.0f} MB; larger files are not read")
    return data


def check_array_size(shape: tuple[int, ...], dtype: np.dtype, source: str, error: type[UserError]) -> int:
    """Refuse an array whose declared shape would take over ``MAX_DECODED_BYTES``; return its stored bytes.

    Checked on the header's numbers, before anything is allocated, so a small file that
    declares a huge array is refused at once.
    """
    count, limit = math.prod(shape), MAX_DECODED_BYTES
    if any(d < 0 for d in shape):
        raise error(f"{source} declares the impossible shape {shape}")
    if count * max(dtype.itemsize, 4) > limit:
        shown = " x ".join(str(d) for d in shape)
        raise error(
            f"{source} declares a {shown} array ({count * max(dtype.itemsize, 4) / 2**30:,.1f} GB in memory); "
            f"arrays over {limit / 2**30:,.0f} GB are not loaded"
        )
    return count * dtype.itemsize


@dataclass(frozen=True)
class NpyHeader:
    """What a .npy header declares: enough to check an array before reading it."""

    shape: tuple[int, ...]
    dtype: np.dtype
    fortran_order: bool


class NpzReader:
    """The arrays of an .npz file, each read only after its header passed the limits.

    ``np.load`` allocates whatever a member's header declares before reading a byte of it;
    this reads the header first (numpy's own safe header parser, no pickles), checks it, and
    reads the data into one buffer of exactly the declared size.
    """

    def __init__(self, path: Path, zf: zipfile.ZipFile, error: type[UserError]) -> None:
        self.path, self._zip, self._error = path, zf, error
        self.names = [n[:-4] for n in zf.namelist() if n.endswith(".npy")]

    def _open_header(self, name: str) -> tuple[BinaryIO, NpyHeader, int]:
        """The member opened just past its header, the header, and the data's size in bytes."""
        source = f"{self.path.name} array '{name}'"
        info = self._zip.getinfo(f"{name}.npy")
        try:
            fp = cast(BinaryIO, self._zip.open(info))
        except (zipfile.BadZipFile, NotImplementedError, RuntimeError, OSError, zlib.error) as exc:
            raise self._error(f"{source} cannot be unpacked ({exc})") from None
        try:
            header = self._header(fp, source)
            nbytes = check_array_size(header.shape, header.dtype, source, self._error)
            declared = info.file_size - fp.tell()
            if declared != nbytes:
                raise self._error(f"{source} is damaged: its header declares {nbytes} bytes of data but the "
                                  f"archive holds {declared}")
        except BaseException:
            fp.close()
            raise
        return fp, header, nbytes

    def _header(self, fp: BinaryIO, source: str) -> NpyHeader:
        try:
            version = np.lib.format.read_magic(fp)
            if version == (1, 0):
                shape, fortran, dtype = np.lib.format.read_array_header_1_0(fp, max_header_size=_NPY_HEADER_BYTES)
            elif version == (2, 0):
                shape, fortran, dtype = np.lib.format.read_array_header_2_0(fp, max_header_size=_NPY_HEADER_BYTES)
            else:
                raise ValueError(f"unsupported .npy version {version}")
        except (ValueError, EOFError, OSError, SyntaxError, TypeError, zipfile.BadZipFile, zlib.error) as exc:
            raise self._error(f"{source} is not a .npy array numpy can read without pickles ({exc})") from None
        if dtype.hasobject:
            raise self._error(f"{source} holds Python objects (pickles), which are never loaded; save plain numbers")
        return NpyHeader(tuple(shape), dtype, fortran)

    def header(self, name: str) -> NpyHeader:
        """The declared shape and type of array ``name``, without reading its data."""
        fp, header, _ = self._open_header(name)
        fp.close()
        return header

    def array(self, name: str) -> np.ndarray:
        """Array ``name``, its size checked against the limits before it is allocated."""
        fp, header, nbytes = self._open_header(name)
        try:
            with fp:
                buf = read_exactly(fp, nbytes)
        except (OSError, EOFError, zipfile.BadZipFile, ValueError, zlib.error) as exc:
            raise self._error(f"{self.path.name} array '{name}' is damaged ({exc})") from None
        if len(buf) != nbytes:
            raise self._error(f"{self.path.name} array '{name}' is truncated")
        return np.frombuffer(buf, header.dtype).reshape(header.shape, order="F" if header.fortran_order else "C")


def _zip_directory_size(f: BinaryIO) -> tuple[int, int] | None:
    """Member count and directory size from a zip's end record, read before ``zipfile`` builds
    an object per member (a 1 GB directory would take many GB); None when there is no end record."""
    size = f.seek(0, io.SEEK_END)
    f.seek(max(0, size - _EOCD_SEARCH))
    tail = f.read()
    at = tail.rfind(_EOCD)
    if at < 0 or len(tail) < at + 16:
        return None
    (entries,), (directory,) = struct.unpack("<H", tail[at + 10:at + 12]), struct.unpack("<I", tail[at + 12:at + 16])
    return entries, directory


@contextmanager
def open_npz(path: Path, error: type[UserError]) -> Iterator[NpzReader]:
    """An .npz file as an ``NpzReader``; damaged archives and non-archives are refused by name."""
    with open_regular(path, error) as f:
        counts = _zip_directory_size(f)
        if counts is not None and (counts[0] > MAX_ZIP_MEMBERS or counts[1] > MAX_ZIP_MEMBERS * 1024):
            raise error(f"{path.name} is a zip archive with a directory of {counts[1]:,} bytes; an .npz "
                        f"holds a few arrays (at most {MAX_ZIP_MEMBERS} are read)")
        f.seek(0)
        try:
            zf = zipfile.ZipFile(f)
        except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
            raise error(f"{path.name} is not a readable .npz file without pickled objects ({exc})") from None
        with zf:
            yield NpzReader(path, zf, error)
