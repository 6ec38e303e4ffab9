"""Content-addressed image files: `images/<sha[:2]>/<sha>.<ext>` under the store's home.

Pillow must recognise the bytes as a JPEG, PNG, GIF or WebP; size in bytes and pixels is
capped before any decoding, so decompression bombs are refused without being expanded.
"""

from __future__ import annotations

import hashlib
import io
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, UnidentifiedImageError

from ..errors import ImageRejected
from .core import Store, utc_now

MAX_BYTES = 20 * 1024 * 1024
MAX_PIXELS = 40_000_000  # e.g. 8000 x 5000; far above what a tweet image needs
FORMATS = {"JPEG": ("image/jpeg", "jpg"), "PNG": ("image/png", "png"), "GIF": ("image/gif", "gif"), "WEBP": ("image/webp", "webp")}


@dataclass(frozen=True)
class StoredImage:
    sha256: str
    path: Path
    media_type: str
    width: int
    height: int
    bytes: int


def inspect_image(data: bytes, name: str = "upload") -> tuple[str, str, int, int]:
    """(media type, extension, width, height) of acceptable image bytes, else `ImageRejected`."""
    if not data:
        raise ImageRejected(f"{name}: the file is empty")
    if len(data) > MAX_BYTES:
        raise ImageRejected(f"{name}: {len(data):,} bytes is over the {MAX_BYTES:,}-byte limit")
    try:
        with Image.open(io.BytesIO(data)) as img:  # reads the header only
            fmt, (w, h) = img.format, img.size
            if w * h > MAX_PIXELS:
                raise ImageRejected(f"{name}: {w} x {h} pixels is over the {MAX_PIXELS:,}-pixel limit")
            if fmt not in FORMATS:
                raise ImageRejected(f"{name}: {fmt} images are not accepted; use JPEG, PNG, GIF or WebP")
            img.verify()
        with Image.open(io.BytesIO(data)) as img:
            img.load()  # verify() skips pixel data; a truncated file fails here
    except ImageRejected:
        raise
    except Image.DecompressionBombError as e:
        raise ImageRejected(f"{name}: too many pixels (over {MAX_PIXELS:,}); refused as a decompression bomb") from e
    except UnidentifiedImageError as e:
        raise ImageRejected(f"{name}: not an image (JPEG, PNG, GIF or WebP expected)") from e
    except (OSError, SyntaxError, ValueError) as e:
        raise ImageRejected(f"{name}: the image is damaged or truncated ({e})") from e
    media_type, ext = FORMATS[fmt]
    return media_type, ext, w, h


def add_image(store: Store, data: bytes, name: str = "upload") -> StoredImage:
    """Check and store image bytes; the same bytes are stored once."""
    media_type, ext, w, h = inspect_image(data, name)
    sha = hashlib.sha256(data).hexdigest()
    rel = Path("images") / sha[:2] / f"{sha}.{ext}"
    target = store.home / rel
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, target)
    with store.write():
        store.db["images"].insert(
            {"sha256": sha, "path": str(rel), "media_type": media_type, "width": w, "height": h,
             "bytes": len(data), "created_at": utc_now()},
            ignore=True,
        )
    return StoredImage(sha, target, media_type, w, h, len(data))


def image_path(store: Store, sha256: str) -> Path | None:
    row = store.conn.execute("SELECT path FROM images WHERE sha256 = ?", (sha256,)).fetchone()
    return store.home / row[0] if row else None
