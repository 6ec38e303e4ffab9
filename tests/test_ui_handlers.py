from cot_explorer.importer import import_twitter
from cot_explorer.store import open_store
from cot_explorer.ui import handlers
from cot_explorer.ui.app import build_app

from .test_images import png_bytes


def test_add_post_and_stats_through_the_handlers(home, tmp_path, data):
    img = tmp_path / "p.png"
    img.write_bytes(png_bytes())
    post_id, tokens = handlers.add_post(home, "Messi scores for #Barca \u26bd", str(img))
    assert post_id.startswith("uploads/user/") and tokens[3] == ["#Barca", 17, 23] and tokens[4][0] == "\u26bd"
    with open_store(home) as s:
        import_twitter(s, str(data / "twitter2017/test.txt"), "twitter2017", "test")
    rows = {(r[0], r[1]): r for r in handlers.stats_rows(home)}
    assert rows[("uploads", "user")][2] == 1 and rows[("twitter2017", "test")][2] == 723


def test_app_builds(home):
    demo = build_app(home)
    assert demo.title == "CoT Explorer"
