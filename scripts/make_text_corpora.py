"""Make the ``text`` dataset's shipped corpora (``playground/resources/datasets/*.txt``) from the
Canterbury corpus files in Brotli's source distribution, or check the shipped copies against it.

Run by hand; the app reads only the .txt files this writes, never Brotli:

    pip download --no-deps --no-binary :all: brotli==1.2.1 -d /tmp/sdists
    python scripts/make_text_corpora.py /tmp/sdists/brotli-1.2.1.tar.gz           # write
    python scripts/make_text_corpora.py /tmp/sdists/brotli-1.2.1.tar.gz --check   # compare

Brotli's test data (``tests/testdata/``) holds texts of the Canterbury compression corpus, two of
them public-domain books: ``alice29.txt`` (Project Gutenberg's Alice's Adventures in Wonderland,
already without the Gutenberg header and licence) and ``asyoulik.txt`` (Shakespeare's As You Like
It). The script refuses a member whose SHA-256 differs from the pinned one, so a rerun gives the
same files; it only normalises line ends (CRLF to LF), drops the MS-DOS end-of-file byte and the
blank lines around the text, and ends it with one newline.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import tarfile
from pathlib import Path

OUT_DIR = Path(__file__).resolve().parent.parent / "playground" / "resources" / "datasets"
#: shipped file -> (member of the sdist, SHA-256 of the member, SHA-256 of the shipped file)
CORPORA = {
    "alice.txt": ("tests/testdata/alice29.txt",
                  "7467306ee0feed4971260f3c87421154a05be571d944e9cb021a5713700c38f0",
                  "cc660e04a3bef809b5436e822536cafefa278d55fb3639fb3e93665590d6fc0a"),
    "as_you_like_it.txt": ("tests/testdata/asyoulik.txt",
                           "eaa3526fe53859f34ecdf255712f9ecf0b2c903451d4755b2edaa2e2599cb0fc",
                           "eaa3526fe53859f34ecdf255712f9ecf0b2c903451d4755b2edaa2e2599cb0fc"),
}


def normalised(raw: bytes) -> bytes:
    """The text as plain UTF-8 with LF line ends, no end-of-file byte, no blank lines around it."""
    text = raw.decode("ascii").replace("\r\n", "\n").rstrip("\x1a")
    return (text.strip("\n").rstrip() + "\n").encode("utf-8")


def read_member(sdist: Path, member: str, sha256: str) -> bytes:
    with tarfile.open(sdist) as tar:
        name = next((n for n in tar.getnames() if n.split("/", 1)[-1] == member), None)
        if name is None:
            sys.exit(f"{sdist.name} has no {member}")
        extracted = tar.extractfile(name)
        if extracted is None:
            sys.exit(f"{sdist.name}: {member} is not a file")
        raw = extracted.read()
    digest = hashlib.sha256(raw).hexdigest()
    if digest != sha256:
        sys.exit(f"{member} in {sdist.name} has SHA-256 {digest}, expected {sha256}: another version of the text")
    return raw


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("sdist", type=Path, help="brotli-1.2.1.tar.gz")
    parser.add_argument("--check", action="store_true", help="compare with the shipped files instead of writing")
    parser.add_argument("--out", type=Path, default=OUT_DIR, help="the folder to write to or compare with")
    args = parser.parse_args()
    failed = False
    for filename, (member, member_sha, file_sha) in CORPORA.items():
        data = normalised(read_member(args.sdist, member, member_sha))
        digest = hashlib.sha256(data).hexdigest()
        if digest != file_sha:
            sys.exit(f"{filename}: normalised to SHA-256 {digest}, expected {file_sha}")
        target = args.out / filename
        if args.check:
            same = target.is_file() and target.read_bytes() == data
            failed |= not same
            print(f"{filename}: {'matches' if same else 'DIFFERS from'} {member} ({len(data):,} bytes, {digest})")
        else:
            target.write_bytes(data)
            print(f"wrote {target} ({len(data):,} bytes, SHA-256 {digest})")
    if failed:
        sys.exit(1)


if __name__ == "__main__":
    main()
