"""The safe app in a real browser, with the store where a real user's lands (the user data
folder, outside /tmp and the checkout): images shown for uploads and stored posts, bad
uploads answered in words, nothing left in the upload folder, roles enforced."""

from __future__ import annotations

import hashlib
import io
import re
import sqlite3

import pytest
from PIL import Image
from playwright.sync_api import expect

from cot_explorer.devtools.harness import pick_post, shot, tab
from cot_explorer.gradio_http import GradioHttp

T = 60_000


@pytest.fixture(scope="module")
def app(local_app):
    return local_app


def file_name(name: str) -> re.Pattern:
    """A file name as Gradio's file box shows it: the stem and the extension in two elements,
    sometimes with white space between them."""
    stem, ext = name.rsplit(".", 1)
    return re.compile(rf"{re.escape(stem)}\s*\.{re.escape(ext)}")


def image_loaded(page, selector: str) -> bool:
    """The image under `selector` has arrived from the server and decoded (waits for it)."""
    page.wait_for_function(
        "sel => { const i = document.querySelector(sel + ' img'); return i && i.complete && i.naturalWidth > 0; }",
        arg=selector, timeout=30_000)
    return True


def png_bytes(size=(64, 48), mode="RGB") -> bytes:
    buf = io.BytesIO()
    Image.new(mode, size).save(buf, "PNG")
    return buf.getvalue()


def test_uploads_and_stored_posts_show_their_images(app, browser, tmp_path):
    url, home, uploads = app
    assert not str(home).startswith("/tmp") and "main" not in home.parts  # the user data folder
    page = browser.new_page(viewport={"width": 1300, "height": 1000})
    page.goto(url)
    upload = tmp_path / "photo.png"
    upload.write_bytes(png_bytes((120, 80)))
    page.locator("#post-text textarea").fill("Obama visits Paris with Macron")
    page.locator("#post-image input[type=file]").set_input_files(str(upload))
    page.locator("#explore-btn").click()
    expect(page.locator("#post-rows")).to_contain_text("Obama", timeout=T)
    expect(page.locator("#explore-image img")).to_be_visible(timeout=T)
    assert image_loaded(page, "#explore-image")
    shot(page, "safety-upload-with-image")
    # a stored demo post with its drawn image, in Explore and in Annotate
    with sqlite3.connect(home / "cot_explorer.db") as c:
        (demo_id,) = c.execute("SELECT id FROM posts WHERE dataset = 'demo' ORDER BY position LIMIT 1").fetchone()
        missing = c.execute("SELECT count(*) FROM posts WHERE dataset = 'demo' AND image_sha256 IS NULL").fetchone()[0]
    assert missing == 0  # every demo post has an image
    pick_post(page, "pick-post", demo_id)
    expect(page.locator("#explore-post-id")).to_contain_text(demo_id, timeout=T)
    expect(page.locator("#explore-image img")).to_be_visible(timeout=T)
    assert image_loaded(page, "#explore-image")
    tab(page, "Annotate")
    expect(page.locator("#annotate-image img")).to_be_visible(timeout=T)
    assert image_loaded(page, "#annotate-image")
    shot(page, "safety-annotate-image")
    page.close()


def test_a_big_photo_is_sent_to_the_page_as_a_smaller_copy(app, browser, tmp_path):
    """A phone photo of some megabytes went whole to the 200-pixel boxes; the browser gets a
    copy of at most 1024 pixels, from the store's image folder, in Explore and in Annotate."""
    from .test_images import photo_jpeg

    url, home, uploads = app
    photo = tmp_path / "IMG_2041.jpg"
    photo.write_bytes(photo_jpeg((3000, 2000)))
    page = browser.new_page(viewport={"width": 1300, "height": 1000})
    page.goto(url)
    page.locator("#post-text textarea").fill("Merkel meets Macron in Berlin")
    page.locator("#post-image input[type=file]").set_input_files(str(photo))
    page.locator("#explore-btn").click()
    expect(page.locator("#post-rows")).to_contain_text("Merkel", timeout=T)
    for box in ("#explore-image", "#annotate-image"):
        if box == "#annotate-image":
            tab(page, "Annotate")
        expect(page.locator(f"{box} img")).to_be_visible(timeout=T)
        assert image_loaded(page, box)
        width, src = page.locator(f"{box} img").first.evaluate("i => [i.naturalWidth, i.src]")
        assert width == 1024 and ".shown-1024.jpg" in src, (width, src)
    # the stored file is the upload itself, beside its copy
    with sqlite3.connect(home / "cot_explorer.db") as c:
        (path,) = c.execute("SELECT i.path FROM posts p JOIN images i ON i.sha256 = p.image_sha256 "
                            "WHERE p.text = 'Merkel meets Macron in Berlin'").fetchone()
    assert (home / path).read_bytes() == photo.read_bytes()
    page.close()


@pytest.mark.parametrize("kind,expected", [
    ("text", "not an image"),
    ("truncated", "damaged or truncated"),
    ("too many pixels", "pixel limit"),
])
def test_bad_images_are_answered_in_words_and_leave_nothing_behind(app, browser, tmp_path, kind, expected):
    url, home, uploads = app
    if kind == "text":
        data = b"this is not a picture, only words"
    elif kind == "truncated":
        data = png_bytes((300, 300), "RGB")
        data = data[: len(data) // 2]
    else:
        data = png_bytes((8000, 6000), "1")  # 48 million pixels, a few kB: refused from its header
    bad = tmp_path / "bad.png"
    bad.write_bytes(data)
    page = browser.new_page(viewport={"width": 1300, "height": 1000})
    page.goto(url)
    with sqlite3.connect(home / "cot_explorer.db") as c:
        (demo_id,) = c.execute("SELECT id FROM posts WHERE dataset = 'demo' ORDER BY position LIMIT 1").fetchone()
    pick_post(page, "pick-post", demo_id)   # a post on show before: it must not stay beside the new inputs
    expect(page.locator("#explore-post-id")).to_contain_text(demo_id, timeout=T)
    page.locator("#post-text textarea").fill("Obama visits Paris")
    page.locator("#post-image input[type=file]").set_input_files(str(bad))
    expect(page.locator("#post-image")).to_contain_text(file_name("bad.png"), timeout=T)
    page.locator("#explore-btn").click()
    # said under the button, the refused file out of the box (its copy is gone: a second press
    # said "No such file or directory" beside it), and the other post's results gone
    expect(page.locator("#analyse-note")).to_contain_text(expected, timeout=T)
    expect(page.locator("#post-image")).not_to_contain_text(file_name("bad.png"), timeout=T)
    expect(page.locator("#explore-post-id")).not_to_contain_text(demo_id, timeout=T)
    expect(page.locator("#post-rows")).to_have_text("", timeout=T)
    assert page.locator("#pick-post input").input_value() == ""
    shot(page, f"safety-bad-upload-{kind.replace(' ', '-')}")
    page.close()
    digest = hashlib.sha256(data).hexdigest()
    left = [p for p in uploads.rglob("*") if p.is_file() and hashlib.sha256(p.read_bytes()).hexdigest() == digest]
    assert left == [], f"the upload was left in {uploads}"
    with sqlite3.connect(home / "cot_explorer.db") as c:
        assert c.execute("SELECT count(*) FROM posts WHERE text = 'Obama visits Paris'").fetchone()[0] == 0


def test_analyse_with_nothing_typed_leaves_the_post_on_show(app, browser):
    """A post picked empties the text and image boxes; Analyse pressed then was refused as "the
    post is empty" and took the picked post off the screen."""
    url, home, _ = app
    with sqlite3.connect(home / "cot_explorer.db") as c:
        (post,) = c.execute("SELECT id FROM posts WHERE dataset = 'demo' ORDER BY position LIMIT 1").fetchone()
    page = browser.new_page(viewport={"width": 1300, "height": 1000})
    page.goto(url)
    pick_post(page, "pick-post", post)
    expect(page.locator("#explore-post-id")).to_contain_text(post, timeout=T)
    page.locator("#explore-btn").click()
    expect(page.locator("#analyse-note")).to_contain_text("type a tweet", timeout=T)
    expect(page.locator("#analyse-note")).to_contain_text("the post on show stays as it is")
    expect(page.locator("#explore-post-id")).to_contain_text(post)
    expect(page.locator("#post-rows")).to_contain_text("Student")
    page.close()


def test_a_refused_text_keeps_the_image_and_the_next_try_works(app, browser, tmp_path):
    url, home, uploads = app
    path = tmp_path / "keepme.png"
    path.write_bytes(png_bytes((70, 50), "RGB"))
    page = browser.new_page(viewport={"width": 1300, "height": 1000})
    page.goto(url)
    page.locator("#post-image input[type=file]").set_input_files(str(path))
    expect(page.locator("#post-image")).to_contain_text(file_name("keepme.png"), timeout=T)
    page.locator("#explore-btn").click()   # no text yet
    expect(page.locator("#analyse-note")).to_contain_text("the post is empty", timeout=T)
    expect(page.locator("#post-image")).to_contain_text(file_name("keepme.png"))
    # another image picked: the refusal is old news (it stayed, as if said of this one)
    other = tmp_path / "other.png"
    other.write_bytes(png_bytes((60, 40), "RGB"))
    page.locator("#post-image").get_by_role("button", name="Clear").click()
    page.locator("#post-image input[type=file]").set_input_files(str(other))
    expect(page.locator("#post-image")).to_contain_text(file_name("other.png"), timeout=T)
    expect(page.locator("#analyse-note")).to_have_text("", timeout=T)
    page.locator("#post-text textarea").fill("Macron greets Trudeau in Quebec")
    page.locator("#explore-btn").click()
    expect(page.locator("#post-rows")).to_contain_text("Macron", timeout=T)
    expect(page.locator("#explore-image img")).to_be_visible(timeout=T)   # stored with the kept image
    expect(page.locator("#analyse-note")).to_have_text("")
    page.close()


def test_uploads_are_capped_by_gradio_too(app):
    url, _, _ = app
    assert GradioHttp(url).config["max_file_size"] == 20 * 1024 * 1024


def test_an_accepted_upload_leaves_nothing_in_the_upload_folder(app, browser, tmp_path):
    url, home, uploads = app
    data = png_bytes((90, 60), "L")
    path = tmp_path / "ok.png"
    path.write_bytes(data)
    page = browser.new_page(viewport={"width": 1300, "height": 1000})
    page.goto(url)
    page.locator("#post-text textarea").fill("Merkel meets May in Berlin")
    page.locator("#post-image input[type=file]").set_input_files(str(path))
    page.locator("#explore-btn").click()
    expect(page.locator("#explore-image img")).to_be_visible(timeout=T)
    page.close()
    digest = hashlib.sha256(data).hexdigest()
    left = [p for p in uploads.rglob("*") if p.is_file() and hashlib.sha256(p.read_bytes()).hexdigest() == digest]
    assert left == []
    assert (home / "images" / digest[:2] / f"{digest}.png").exists()  # kept where it belongs: the store


def test_an_image_over_the_cap_is_said_beside_its_box_and_goes_when_another_is_picked(app, browser, tmp_path):
    """Gradio refuses it in the browser with a corner toast and an empty box; Analyse then
    stored the text alone, with nothing under it saying why."""
    url, _, _ = app
    big = tmp_path / "huge.png"
    big.write_bytes(png_bytes((40, 40), "RGB") + b"\0" * (21 * 1024 * 1024))   # 21 MB: over the 20 MB cap
    small = tmp_path / "small.png"
    small.write_bytes(png_bytes((40, 40), "RGB"))
    page = browser.new_page(viewport={"width": 1300, "height": 1000})
    page.goto(url)
    page.locator("#post-image input[type=file]").set_input_files(str(big))
    note = page.locator("#image-too-big")
    expect(note).to_contain_text("Not attached: huge.png is 21.0 MB, over the 20.0 MB limit", timeout=T)
    expect(note).to_be_in_viewport()
    assert note.get_attribute("role") == "alert"
    # the app's answers in words are read out as they change (live regions)
    expect(page.locator("#analyse-note")).to_have_attribute("aria-live", "polite", timeout=T)
    shot(page, "safety-image-over-the-cap")
    page.locator("#post-image input[type=file]").set_input_files(str(small))
    expect(page.locator("#post-image")).to_contain_text(file_name("small.png"), timeout=T)
    expect(note).to_have_count(0)
    page.close()
