import pytest

from cot_explorer.errors import ImageRejected, ValidationError
from cot_explorer.store.posts import get_post
from cot_explorer.uploads import add_upload

from .conftest import snapshot
from .test_images import png_bytes


def test_upload_tokenizes_and_stores_text_and_image(store):
    text = "Watching @Lakers at #StaplesCenter \U0001F3C0\U0001F1FA\U0001F1F8 https://t.co/x"
    post = add_upload(store, text, png_bytes(), "court.png")
    assert post.tokens == ("Watching", "@Lakers", "at", "#StaplesCenter", "\U0001F3C0", "\U0001F1FA\U0001F1F8", "https://t.co/x")
    again = get_post(store, post.id)
    assert again == post and again.image_sha256
    assert add_upload(store, text, png_bytes(), "court.png").id == post.id  # same content, same post


@pytest.mark.parametrize("text, message", [("", "empty"), ("   \n", "empty"), ("x" * 10_000, "10,000 characters")])
def test_bad_text_is_refused_and_nothing_stored(store, home, text, message):
    before = snapshot(home)
    with pytest.raises(ValidationError, match=message):
        add_upload(store, text)
    assert snapshot(home) == before


def test_bad_image_leaves_no_post(store, home):
    before = snapshot(home)
    with pytest.raises(ImageRejected):
        add_upload(store, "hello world", b"GIF89a not really", "x.gif")
    assert snapshot(home) == before
