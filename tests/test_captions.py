import pytest

from cot_explorer.errors import ParseError
from cot_explorer.importer import import_captions, import_twitter
from cot_explorer.store.posts import get_post

from .conftest import snapshot


def test_captions_attach_to_posts_by_image_id_in_either_order(store, data):
    report = import_captions(store, str(data / "captions/blip2-twitter2015.txt"), "twitter2015")
    assert report.captions > 8000 and "no caption; skipped" in report.notes[0]
    import_twitter(store, str(data / "twitter2015/valid.txt"), "twitter2015", "valid", repair_bio=True)
    post = get_post(store, "twitter2015/valid/" + (data / "twitter2015/valid.txt").read_text().split("\n")[0][6:])
    assert post.caption and post.image_name.endswith(".jpg")


def test_caption_line_without_separator_is_refused(store, home, tmp_path):
    path = tmp_path / "c.txt"
    path.write_text("1.jpg :a dog\njust some words\n")
    before = snapshot(home)
    with pytest.raises(ParseError, match=r"c\.txt:2: expected '<image file> :<caption>'"):
        import_captions(store, str(path), "twitter2017")
    assert snapshot(home) == before
