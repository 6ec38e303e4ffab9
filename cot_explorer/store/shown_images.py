"""The copy of a stored image that the app shows: a phone photo of 4000 × 3000 pixels and some
megabytes was sent whole to a box 200 pixels high (on a Space, to every visitor who opened the
post). Bigger images get a smaller copy beside the stored file, made on first view and kept;
the stored file itself stays as uploaded (its digest is the post's identity, and an export or
a re-analysis reads it).

`images/<sha[:2]>/<sha>.shown-<side>.<jpg|png>`: removed with the image (`forget_image`), and
made again from it if lost. Anything that goes wrong making one shows the stored file."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from PIL import Image, ImageOps

SHOWN_SIDE = 1024          # long side of the shown copy: sharp in the 200-px boxes at 3× and full screen on a laptop
SHOWN_ABOVE_BYTES = 400_000   # a file under this and within the side is shown as it is


def shown_copies(path: Path) -> list[Path]:
    """The shown copies made of a stored image file (any side)."""
    stem = path.name.split(".")[0]
    return sorted(path.parent.glob(f"{stem}.shown-*")) if path.parent.is_dir() else []


def shown_image(path: Path | None) -> Path | None:
    """The file to show for a stored image: the image itself where it is small, else its shown
    copy, made now if missing."""
    if path is None or not path.exists():
        return path
    try:
        with Image.open(path) as im:   # the header only, unless a copy is to be made
            alpha = _has_alpha(im)
            within = max(im.size) <= SHOWN_SIDE
            # an animation shows as one (a copy would be its first frame); a transparent image
            # within the side would be written again as PNG, no smaller
            if (within and (alpha or path.stat().st_size <= SHOWN_ABOVE_BYTES)) or getattr(im, "is_animated", False):
                return path
            target = path.with_name(f"{path.name.split('.')[0]}.shown-{SHOWN_SIDE}.{'png' if alpha else 'jpg'}")
            if target.exists():
                return target
            # a JPEG with an EXIF orientation is turned as a viewer would
            copy = (ImageOps.exif_transpose(im) or im).convert("RGBA" if alpha else "RGB")
            copy.thumbnail((SHOWN_SIDE, SHOWN_SIDE), Image.Resampling.LANCZOS)
    except (OSError, ValueError, Image.DecompressionBombError):
        return path
    tmp = None
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-shown-")
        with os.fdopen(fd, "wb") as f:
            copy.save(f, format="PNG" if alpha else "JPEG", **({"optimize": True} if alpha else {"quality": 85}))
        os.replace(tmp, target)
    except OSError:   # a full disk, a read-only store: the stored file is shown
        if tmp:
            Path(tmp).unlink(missing_ok=True)
        return path
    return target


def _has_alpha(im: Image.Image) -> bool:
    return im.mode in ("RGBA", "LA", "PA") or (im.mode == "P" and "transparency" in im.info)
