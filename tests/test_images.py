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


def photo_jpeg(size=(2400, 1600), orientation: int | None = None) -> bytes:
    """A camera-sized photo, noisy enough to weigh megabytes as one does."""
    import numpy as np

    rng = np.random.default_rng(0)
    pixels = rng.integers(0, 255, (size[1], size[0], 3), dtype=np.uint8)
    im = Image.fromarray(pixels)
    buf = io.BytesIO()
    exif = Image.Exif()
    if orientation:
        exif[0x0112] = orientation
    im.save(buf, "JPEG", quality=90, exif=exif.tobytes())
    return buf.getvalue()


def test_a_big_photo_is_shown_from_a_smaller_copy_and_the_stored_file_stays_as_uploaded(store):
    """A phone photo was sent whole to a 200-pixel box; it is shown from a copy of at most
    SHOWN_SIDE pixels, turned as its EXIF says, made once; a small image is shown as it is."""
    from cot_explorer.store.shown_images import SHOWN_SIDE, shown_copies, shown_image
    from cot_explorer.uploads import delete_upload, store_upload

    data = photo_jpeg(orientation=6)   # taken with the phone turned: 2400 × 1600 stored, 1600 × 2400 seen
    assert len(data) > 1_000_000
    post, _ = store_upload(store, "Obama visits Paris", data, "IMG_0001.jpg")
    stored = image_path(store, post.image_sha256)
    shown = shown_image(stored)
    assert shown != stored and shown.parent == stored.parent and shown_copies(stored) == [shown]
    with Image.open(shown) as im:
        assert im.size == (round(SHOWN_SIDE * 2 / 3), SHOWN_SIDE) and im.format == "JPEG"
    assert shown.stat().st_size < len(data) / 5
    assert stored.read_bytes() == data   # the upload itself, untouched
    made = shown.stat().st_mtime_ns
    assert shown_image(stored) == shown and shown.stat().st_mtime_ns == made   # made once
    small = add_image(store, png_bytes((400, 260)), "small.png")
    assert shown_image(small.path) == small.path and shown_copies(small.path) == []
    delete_upload(store, post.id, may_drop_work=True)   # the copy goes with the image
    assert not stored.exists() and not shown.exists()


def test_a_stored_file_that_cannot_be_read_is_shown_as_it_is(tmp_path):
    """A copy that cannot be made (the file damaged since) leaves the stored file to show: the
    view is never refused for its picture."""
    from cot_explorer.store.shown_images import shown_copies, shown_image

    broken = tmp_path / "photo.jpg"
    broken.write_bytes(photo_jpeg((1600, 1200))[:50_000])
    assert shown_image(broken) == broken and shown_copies(broken) == []
    assert shown_image(tmp_path / "gone.jpg") == tmp_path / "gone.jpg" and shown_image(None) is None


def test_an_animation_is_shown_as_itself(tmp_path):
    """A copy would be its first frame, a still JPEG."""
    from cot_explorer.store.shown_images import shown_copies, shown_image

    frames = [Image.new("RGB", (1600, 1200), (i * 40, 0, 0)) for i in range(4)]
    gif = tmp_path / "loop.gif"
    frames[0].save(gif, save_all=True, append_images=frames[1:], duration=100)
    assert shown_image(gif) == gif and shown_copies(gif) == []
