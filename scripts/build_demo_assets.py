"""Builds the bundled demo set in assets/demo from the shared benchmark data:
40 Twitter-2017 test posts with gold labels, BLIP-2 captions and the recorded ChatGPT
reasoning, 20 MNRE test posts with their entity pairs and relations (dataset demo-mnre),
and images drawn here for every post (no photo licences involved).

    python scripts/build_demo_assets.py
"""

from __future__ import annotations

import hashlib
import json
import sys
import textwrap
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from dataclasses import replace  # noqa: E402

from cot_explorer.datasets.captions import read_captions  # noqa: E402
from cot_explorer.datasets.jsonl import post_to_json  # noqa: E402
from cot_explorer.datasets.pgim_knowledge import align_knowledge, read_pgim_knowledge  # noqa: E402
from cot_explorer.datasets.twitter_conll import read_twitter_conll  # noqa: E402
from cot_explorer.labels import mner_schema_for  # noqa: E402
from cot_explorer.paths import data_dir  # noqa: E402

OUT = Path(__file__).resolve().parents[1] / "assets" / "demo"
N = 40


MOTIFS = (  # caption words -> what to draw; the first match wins
    (("soccer", "football", "goal", "baseball", "stadium", "basketball", "nba", "player"), "field"),
    (("guitar", "microphone", "concert", "stage", "music", "singer", "awards"), "stage"),
    (("skyline", "city", "building", "billboard", "street", "house", "arches"), "city"),
    (("chart", "logo", "poster", "words", "cartoon", "sign"), "board"),
    (("man", "woman", "girls", "boys", "people", "person", "lady", "men", "group", "trump", "president"), "people"),
)


def _palette(text: str) -> tuple[tuple[int, int, int], tuple[int, int, int]]:
    h = hashlib.sha256(text.encode()).digest()
    top = (40 + h[0] % 120, 40 + h[1] % 120, 60 + h[2] % 140)
    return top, (top[0] // 3, top[1] // 3, top[2] // 3)


def draw_caption_image(caption: str, size: tuple[int, int] = (400, 260)) -> Image.Image:
    """A picture drawn from a BLIP-2 caption: a scene motif picked by its words, and the
    caption itself, so the demo shows the image side of a post with no photo licences."""
    w, h = size
    top, bottom = _palette(caption)
    img = Image.new("RGB", size, top)
    d = ImageDraw.Draw(img)
    for y in range(h):
        t = y / h
        d.line([(0, y), (w, y)], fill=tuple(int(a + (b - a) * t) for a, b in zip(top, bottom)))
    words = set(caption.lower().replace(",", " ").split())
    motif = next((m for keys, m in MOTIFS if words & set(keys)), "sun")
    ink, light = (25, 25, 35), (235, 235, 225)
    if motif == "field":
        d.rectangle((0, 130, w, 200), fill=(40, 130, 60))
        d.ellipse((150, 140, 250, 190), outline=light, width=3)
        d.ellipse((290, 150, 315, 175), fill=light, outline=ink)
    elif motif == "stage":
        d.rectangle((40, 150, 360, 200), fill=(190, 150, 60))
        for x in (90, 200, 310):
            d.polygon([(x, 0), (x - 40, 150), (x + 40, 150)], fill=(250, 240, 180))
    elif motif == "city":
        for i, x in enumerate(range(10, w, 48)):
            d.rectangle((x, 200 - 40 - (i * 41) % 120, x + 38, 200), fill=ink)
    elif motif == "board":
        d.rectangle((70, 30, 330, 180), fill=light, outline=ink, width=4)
        for i, x in enumerate(range(100, 300, 40)):
            d.rectangle((x, 160 - 20 - (i * 29) % 100, x + 25, 160), fill=top)
    elif motif == "people":
        for x in (130, 200, 270)[: 1 + len(caption) % 3]:
            d.ellipse((x - 18, 70, x + 18, 106), fill=light)
            d.rounded_rectangle((x - 30, 110, x + 30, 200), radius=18, fill=light)
    else:
        d.ellipse((160, 40, 240, 120), fill=(250, 220, 120))
    d.rectangle((0, 200, w, h), fill=(15, 15, 20))
    font = ImageFont.load_default(size=14)
    lines = textwrap.wrap(caption, 52)[:2]
    for i, line in enumerate(lines):
        d.text((10, 206 + 17 * i), line, fill=light, font=font)
    return img


def draw_images() -> None:
    """The three pictures of the Explore tab's examples."""
    for name, caption in (("stadium.png", "a soccer player celebrating a goal in a stadium"),
                          ("stage.png", "a singer with a microphone on a concert stage"),
                          ("city.png", "a city skyline at sunset")):
        draw_caption_image(caption).save(OUT / name, optimize=True)


N_RELATIONS = 20


def build_relations(root: Path) -> int:
    """MNRE test posts for the demo's relations (dataset demo-mnre): the first posts with at
    least one relation other than None, those with several entity pairs first, each with a
    picture drawn from its text (MNRE's images and captions are not available here)."""
    from cot_explorer.datasets.mnre import read_mnre
    from cot_explorer.paths import mnre_file

    parsed = read_mnre(mnre_file("test", root), "mnre", "test")
    related = [it for it in parsed.posts if any(r.label != "None" for r in it.labels[0].relations)]
    items = sorted(related, key=lambda it: -min(3, len(it.labels[0].relations)))[:N_RELATIONS]
    items.sort(key=lambda it: it.post.position)
    with open(OUT / "relations.jsonl", "w", encoding="utf-8") as f:
        for it in items:
            post = replace(it.post, dataset="demo-mnre", split="test", id=it.post.id.replace("mnre/", "demo-mnre/"),
                           source="assets/demo (MNRE test)")
            lab = it.labels[0].with_meta(created_at="2018-01-01T00:00:00+00:00")
            picture = f"images/{Path(it.post.image_name or it.post.id).stem}.png"
            draw_caption_image(post.text[:100]).save(OUT / picture, optimize=True)
            f.write(json.dumps(post_to_json(post, [lab]) | {"image_path": picture}, ensure_ascii=False,
                               sort_keys=True) + "\n")
    return len(items)


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    root = data_dir()
    parsed = read_twitter_conll(root / "twitter2017/test.txt", "twitter2017", "test", mner_schema_for("twitter2017"))
    items = [it for it in parsed.posts if it.labels[0].spans][:N]
    captions = {c.image_name: c.text for c in read_captions(root / "captions/blip2-twitter2017.txt").captions}
    know = dict(align_knowledge(read_pgim_knowledge(root / "knowledge/chatgpt-pgim/twitter2017/test.txt"),
                                [it.post for it in parsed.posts]).pairs)
    (OUT / "images").mkdir(exist_ok=True)
    with open(OUT / "posts.jsonl", "w", encoding="utf-8") as f:
        for it in items:
            post = replace(it.post, dataset="demo", split="test", id=it.post.id.replace("twitter2017/", "demo/"),
                           source="assets/demo (Twitter-2017 test)", caption=captions.get(it.post.image_name or ""))
            lab = it.labels[0].with_meta(created_at="2017-01-01T00:00:00+00:00")
            picture = f"images/{Path(it.post.image_name or it.post.id).stem}.png"
            draw_caption_image(post.caption or post.text[:80]).save(OUT / picture, optimize=True)
            record = post_to_json(post, [lab]) | {"image_path": picture}
            f.write(json.dumps(record, ensure_ascii=False, sort_keys=True) + "\n")
    with open(OUT / "knowledge.jsonl", "w", encoding="utf-8") as f:
        for it in items:
            rec = know.get(it.post.id)
            if rec:
                f.write(json.dumps({"id": it.post.id.replace("twitter2017/", "demo/"), "text": rec.text},
                                   ensure_ascii=False) + "\n")
    draw_images()
    n_rel = build_relations(root)
    print(f"wrote {len(items)} posts and {n_rel} MNRE posts to {OUT}")


if __name__ == "__main__":
    main()
