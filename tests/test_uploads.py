import pytest

from cot_explorer.errors import ImageRejected, ValidationError
from cot_explorer.labels import mner_schema_for
from cot_explorer.schema import Post
from cot_explorer.store.posts import add_posts, ensure_dataset, get_post
from cot_explorer.tokenize import tokenize_tweet
from cot_explorer.uploads import UPLOAD_DATASET, UPLOAD_SPLIT, add_upload, store_upload, upload_id, uploaded_words

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


def test_a_change_of_spacing_alone_is_the_same_upload(store, home):
    """A space added, or a line break taken out, found the stored post: it stored a second one
    beside it, with none of the first one's labels or teacher answers."""
    post, existed = store_upload(store, "Messi scores for  #Barca", png_bytes(), "p.png")
    assert not existed
    before = snapshot(home)
    for spaced in (" Messi scores for #Barca\n", "Messi\tscores for #Barca", "Messi scores  for  #Barca "):
        again, existed = store_upload(store, spaced, png_bytes(), "p.png")
        assert existed and again.id == post.id and again.text == "Messi scores for  #Barca"
    assert snapshot(home) == before
    # and Explore lets go of such a text when another post is picked (it stayed in the box, as
    # if it were the picked post's, being no upload's text as typed)
    assert uploaded_words(store, "Messi  scores for #Barca\n") and not uploaded_words(store, "Messi scores for")
    other, existed = store_upload(store, "Messi scores for #Barça", png_bytes(), "p.png")  # a letter is an edit
    assert not existed and other.id != post.id
    bare, existed = store_upload(store, "Messi scores for #Barca")  # and so is the image let go
    assert not existed and bare.id != post.id


def test_an_upload_stored_under_its_text_as_typed_is_found_again(store):
    """Uploads stored before spacing was ignored have the id of their text as typed: the same
    text again finds them, not a second post under the new id."""
    text = "Taylor Swift  opens in Glendale "
    tokens, offsets = tokenize_tweet(text)
    old = Post(id=upload_id(text, None, spacing=True), text=text, tokens=tokens, offsets=offsets,
               dataset=UPLOAD_DATASET, split=UPLOAD_SPLIT, source="upload", position=0)
    assert old.id != upload_id(text, None)
    with store.write():
        ensure_dataset(store, UPLOAD_DATASET, mner_schema_for(UPLOAD_DATASET))
        add_posts(store, [old])
    again, existed = store_upload(store, text)
    assert existed and again.id == old.id
    # and retyped with other spacing (its id is its own text's, which no retyping gives)
    for spaced in ("Taylor Swift opens in Glendale", " Taylor  Swift opens in\nGlendale"):
        again, existed = store_upload(store, spaced)
        assert existed and again.id == old.id, spaced
    other, existed = store_upload(store, "Taylor Swift opens in Glendale", png_bytes(), "p.png")   # with an image: another
    assert not existed and other.id != old.id
