import io
import struct
import zlib
from pathlib import Path

import pytest
from PIL import Image

from cot_explorer.errors import ImageRejected
from cot_explorer.store.images import MAX_BYTES, add_image, image_path

from .conftest import snapshot


def png_bytes(size=(64, 48), color=(200, 30, 30)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, color).save(buf, "PNG")
    return buf.getvalue()


def huge_png(width: int, height: int) -> bytes:
    """A real, valid 1-bit PNG of width x height that compresses to a few hundred KB."""
    def chunk(kind: bytes, payload: bytes) -> bytes:
        return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))
    row = b"\x00" + b"\x00" * ((width + 7) // 8)
    comp = zlib.compressobj(9)
    idat = b"".join(comp.compress(row) for _ in range(height)) + comp.flush()
    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def test_image_is_stored_once_by_content(store):
    data = png_bytes()
    a = add_image(store, data, "a.png")
    b = add_image(store, data, "b.png")
    assert a.sha256 == b.sha256 and a.media_type == "image/png" and (a.width, a.height) == (64, 48)
    assert image_path(store, a.sha256).read_bytes() == data
    assert store.conn.execute("SELECT count(*) FROM images").fetchone()[0] == 1


def test_text_file_renamed_jpg_is_refused(store, home, tmp_path: Path):
    fake = tmp_path / "photo.jpg"
    fake.write_text("this is not an image\n")
    before = snapshot(home)
    with pytest.raises(ImageRejected, match="photo.jpg: not an image"):
        add_image(store, fake.read_bytes(), fake.name)
    assert snapshot(home) == before


def test_20000_by_20000_png_is_refused_without_decoding(store, home):
    data = huge_png(20000, 20000)
    assert len(data) < MAX_BYTES  # small on disk: only the pixel cap can stop it
    before = snapshot(home)
    with pytest.raises(ImageRejected, match="pixel"):
        add_image(store, data, "bomb.png")
    assert snapshot(home) == before


def test_truncated_and_oversized_and_empty_files_are_refused(store):
    with pytest.raises(ImageRejected, match="damaged or truncated"):
        add_image(store, png_bytes((300, 300))[:-200], "cut.png")
    with pytest.raises(ImageRejected, match="over the"):
        add_image(store, b"\x89PNG" + b"\x00" * (MAX_BYTES + 1), "big.png")
    with pytest.raises(ImageRejected, match="empty"):
        add_image(store, b"", "none.png")
    assert store.conn.execute("SELECT count(*) FROM images").fetchone()[0] == 0
