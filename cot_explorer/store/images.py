"""Content-addressed image files: `images/<sha[:2]>/<sha>.<ext>` under the store's home.

Pillow must recognise the bytes as a JPEG, PNG, GIF or WebP; size in bytes and pixels is
capped before any decoding, so decompression bombs are refused without being expanded.
"""

from __future__ import annotations

import hashlib
import io
import os
import stat
import tempfile
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, UnidentifiedImageError

from ..errors import ImageRejected
from ..limits import DISK_FULL_ERRNOS, MAX_IMAGE_BYTES, MAX_IMAGE_PIXELS, DiskFull, disk_full_message
from .core import Store, utc_now
from .shown_images import shown_copies

MAX_BYTES = MAX_IMAGE_BYTES
MAX_PIXELS = MAX_IMAGE_PIXELS
FORMATS = {"JPEG": ("image/jpeg", "jpg"), "PNG": ("image/png", "png"), "GIF": ("image/gif", "gif"), "WEBP": ("image/webp", "webp")}


@dataclass(frozen=True)
class StoredImage:
    sha256: str
    path: Path
    media_type: str
    width: int
    height: int
    bytes: int


@dataclass(frozen=True)
class CheckedImage:
    """Image bytes that passed every check, ready to be written (no store touched yet)."""
    data: bytes
    sha256: str
    media_type: str
    ext: str
    width: int
    height: int

    @property
    def relative_path(self) -> Path:
        return Path("images") / self.sha256[:2] / f"{self.sha256}.{self.ext}"


def read_image_file(path: Path, name: str | None = None) -> bytes:
    """The bytes of an image file, its size checked before reading: a device such as
    /dev/zero or a huge file is refused without reading it."""
    name = name or path.name
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):
            raise ImageRejected(f"{name}: not a regular file")
        if info.st_size > MAX_BYTES:
            raise ImageRejected(f"{name}: {info.st_size:,} bytes is over the {MAX_BYTES:,}-byte limit")
        with open(path, "rb") as f:
            data = f.read(MAX_BYTES + 1)
    except OSError as e:
        raise ImageRejected(f"{name}: cannot read the file ({e.strerror})") from e
    if len(data) > MAX_BYTES:
        raise ImageRejected(f"{name}: over the {MAX_BYTES:,}-byte limit")
    return data


def check_header(data: bytes, name: str = "upload") -> tuple[str, int, int]:
    """(format, width, height) from the header alone, nothing decoded: the size and pixel
    checks run before any decoding, so a decompression bomb is never expanded."""
    if not data:
        raise ImageRejected(f"{name}: the file is empty")
    if len(data) > MAX_BYTES:
        raise ImageRejected(f"{name}: {len(data):,} bytes is over the {MAX_BYTES:,}-byte limit")
    try:
        with Image.open(io.BytesIO(data)) as img:  # reads the header only
            fmt, (w, h) = img.format, img.size
    except Image.DecompressionBombError as e:
        raise ImageRejected(f"{name}: too many pixels (over {MAX_PIXELS:,}); refused as a decompression bomb") from e
    except UnidentifiedImageError as e:
        raise ImageRejected(f"{name}: not an image (JPEG, PNG, GIF or WebP expected)") from e
    except (OSError, SyntaxError, ValueError) as e:
        raise ImageRejected(f"{name}: the image is damaged or truncated ({e})") from e
    if w * h > MAX_PIXELS:
        raise ImageRejected(f"{name}: {w} x {h} pixels is over the {MAX_PIXELS:,}-pixel limit")
    if fmt not in FORMATS:
        raise ImageRejected(f"{name}: {fmt} images are not accepted; use JPEG, PNG, GIF or WebP")
    return fmt, w, h


def inspect_image(data: bytes, name: str = "upload") -> tuple[str, str, int, int]:
    """(media type, extension, width, height) of acceptable image bytes, else `ImageRejected`."""
    fmt, w, h = check_header(data, name)
    try:
        with Image.open(io.BytesIO(data)) as img:
            img.verify()
        with Image.open(io.BytesIO(data)) as img:
            img.load()  # verify() skips pixel data; a truncated file fails here
    except Image.DecompressionBombError as e:
        raise ImageRejected(f"{name}: too many pixels (over {MAX_PIXELS:,}); refused as a decompression bomb") from e
    except (OSError, SyntaxError, ValueError) as e:
        raise ImageRejected(f"{name}: the image is damaged or truncated ({e})") from e
    media_type, ext = FORMATS[fmt]
    return media_type, ext, w, h


def check_image(data: bytes, name: str = "upload") -> CheckedImage:
    """Every check, and the hash: the slow part of storing an image, done outside any transaction."""
    media_type, ext, w, h = inspect_image(data, name)
    return CheckedImage(data, hashlib.sha256(data).hexdigest(), media_type, ext, w, h)


def write_image_file(store: Store, image: CheckedImage) -> bool:
    """Write the content-addressed file if missing (temp file, then rename); True if this call
    created it. A full disk leaves no temporary file and raises `DiskFull`."""
    target = store.home / image.relative_path
    if target.exists():
        return False
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(image.data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, target)
    except OSError as e:
        Path(tmp).unlink(missing_ok=True)
        _remove_if_empty(target.parent)
        if e.errno in DISK_FULL_ERRNOS:
            raise DiskFull(disk_full_message(f"the image {image.sha256[:12]}")) from e
        raise
    return True


def insert_image_row(store: Store, image: CheckedImage) -> None:
    with store.write():
        store.db["images"].insert(
            {"sha256": image.sha256, "path": str(image.relative_path), "media_type": image.media_type,
             "width": image.width, "height": image.height, "bytes": len(image.data), "created_at": utc_now()},
            ignore=True,
        )


def remove_unreferenced(store: Store, images: list[CheckedImage]) -> None:
    """Delete image files a refused import wrote, unless a stored row uses them."""
    for image in images:
        row = store.conn.execute("SELECT 1 FROM images WHERE sha256 = ?", (image.sha256,)).fetchone()
        if row is None:
            path = store.home / image.relative_path
            path.unlink(missing_ok=True)
            _remove_if_empty(path.parent)


def _remove_if_empty(folder: Path) -> None:
    try:
        folder.rmdir()
    except OSError:
        pass


def add_image(store: Store, data: bytes, name: str = "upload") -> StoredImage:
    """Check and store image bytes; the same bytes are stored once."""
    image = check_image(data, name)
    created = write_image_file(store, image)
    try:
        insert_image_row(store, image)
    except BaseException:
        if created:
            remove_unreferenced(store, [image])
        raise
    return StoredImage(image.sha256, store.home / image.relative_path, image.media_type, image.width,
                       image.height, len(data))


def image_path(store: Store, sha256: str) -> Path | None:
    row = store.conn.execute("SELECT path FROM images WHERE sha256 = ?", (sha256,)).fetchone()
    return store.home / row[0] if row else None


@dataclass(frozen=True)
class SetAside:
    """An image file moved aside by a deletion not yet committed: dropped after the commit,
    put back after a rollback."""

    path: Path
    aside: Path

    def put_back(self) -> None:
        if self.aside.exists():
            os.replace(self.aside, self.path)

    def drop(self) -> None:
        self.aside.unlink(missing_ok=True)
        _remove_if_empty(self.aside.parent)


def forget_image(store: Store, sha256: str) -> SetAside | None:
    """Inside a write transaction: drop the image row and move its file aside. An upload of the
    same picture whose transaction comes after this one finds no file, and writes it again
    (`ensure_image_file`) instead of pointing at a file deleted under it."""
    path = image_path(store, sha256)
    store.conn.execute("DELETE FROM images WHERE sha256 = ?", (sha256,))
    for copy in shown_copies(path) if path is not None else ():   # made again from it if this is rolled back
        copy.unlink(missing_ok=True)
    if path is None or not path.exists():
        return None
    aside = path.with_name(f".deleting-{path.name}")
    os.replace(path, aside)
    return SetAside(path, aside)


def ensure_image_file(store: Store, image: CheckedImage) -> None:
    """Within the transaction that stores a post's image row: the file is there (a deletion of
    the same picture may have moved it away after this upload first wrote it)."""
    if not (store.home / image.relative_path).exists():
        write_image_file(store, image)
