"""Images for the Messages API: JPEG, PNG, GIF or WebP, long side at most 1568 px, and a
payload comfortably under the API's per-image limit."""

from __future__ import annotations

import base64
import io
from dataclasses import dataclass

from PIL import Image

MAX_SIDE = 1568
MAX_BYTES = 3_750_000  # base64 grows 4/3: stays under 5 MB on the wire
MEDIA = {"JPEG": "image/jpeg", "PNG": "image/png", "GIF": "image/gif", "WEBP": "image/webp"}


@dataclass(frozen=True)
class ImageBlock:
    media_type: str
    data: str  # base64
    width: int
    height: int

    def to_param(self) -> dict:
        return {"type": "image", "source": {"type": "base64", "media_type": self.media_type, "data": self.data}}


def prepare_image(data: bytes) -> ImageBlock:
    with Image.open(io.BytesIO(data)) as img:
        fmt = img.format
        w, h = img.size
        if fmt in MEDIA and max(w, h) <= MAX_SIDE and len(data) <= MAX_BYTES:
            return ImageBlock(MEDIA[fmt], base64.b64encode(data).decode("ascii"), w, h)
        img = img.convert("RGBA" if img.mode in ("RGBA", "LA", "P") else "RGB")
        scale = min(1.0, MAX_SIDE / max(w, h))
        if scale < 1.0:
            img = img.resize((max(1, round(w * scale)), max(1, round(h * scale))), Image.LANCZOS)
        out = io.BytesIO()
        if img.mode == "RGBA":
            img.save(out, "PNG", optimize=True)
            media = "image/png"
        else:
            quality = 90
            img.save(out, "JPEG", quality=quality)
            while out.tell() > MAX_BYTES and quality > 40:
                quality -= 15
                out = io.BytesIO()
                img.save(out, "JPEG", quality=quality)
            media = "image/jpeg"
        if out.tell() > MAX_BYTES:
            img = img.convert("RGB")
            out = io.BytesIO()
            img.save(out, "JPEG", quality=60)
            media = "image/jpeg"
        return ImageBlock(media, base64.b64encode(out.getvalue()).decode("ascii"), img.size[0], img.size[1])
