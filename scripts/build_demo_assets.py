"""Builds the bundled demo set in assets/demo from the shared benchmark data:
40 Twitter-2017 test posts with gold labels, BLIP-2 captions and the recorded ChatGPT
reasoning, plus three images drawn here (no photo licences involved).

    python scripts/build_demo_assets.py
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from PIL import Image, ImageDraw

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from cot_explorer.datasets.captions import read_captions  # noqa: E402
from cot_explorer.datasets.jsonl import post_to_json  # noqa: E402
from cot_explorer.datasets.pgim_knowledge import align_knowledge, read_pgim_knowledge  # noqa: E402
from cot_explorer.datasets.twitter_conll import read_twitter_conll  # noqa: E402
from cot_explorer.labels import mner_schema_for  # noqa: E402
from cot_explorer.paths import data_dir  # noqa: E402
from dataclasses import replace  # noqa: E402

OUT = Path(__file__).resolve().parents[1] / "assets" / "demo"
N = 40


def draw_images() -> None:
    specs = {"stadium.png": ((30, 110, 40), "ellipse"), "stage.png": ((60, 20, 90), "rectangle"),
             "city.png": ((40, 70, 140), "skyline")}
    for name, (color, shape) in specs.items():
        img = Image.new("RGB", (480, 320), color)
        d = ImageDraw.Draw(img)
        if shape == "ellipse":
            d.ellipse((60, 60, 420, 260), outline=(240, 240, 240), width=6)
        elif shape == "rectangle":
            d.rectangle((90, 180, 390, 300), fill=(200, 170, 60))
            for x in range(100, 380, 40):
                d.ellipse((x, 120, x + 20, 140), fill=(250, 250, 250))
        else:
            for i, x in enumerate(range(20, 460, 55)):
                d.rectangle((x, 320 - 60 - (i * 37) % 180, x + 40, 320), fill=(20, 20, 30))
        img.save(OUT / name, optimize=True)


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    root = data_dir()
    parsed = read_twitter_conll(root / "twitter2017/test.txt", "twitter2017", "test", mner_schema_for("twitter2017"))
    items = [it for it in parsed.posts if it.labels[0].spans][:N]
    captions = {c.image_name: c.text for c in read_captions(root / "captions/blip2-twitter2017.txt").captions}
    know = dict(align_knowledge(read_pgim_knowledge(root / "knowledge/chatgpt-pgim/twitter2017/test.txt"),
                                [it.post for it in parsed.posts]).pairs)
    with open(OUT / "posts.jsonl", "w", encoding="utf-8") as f:
        for it in items:
            post = replace(it.post, dataset="demo", split="test", id=it.post.id.replace("twitter2017/", "demo/"),
                           source="assets/demo (Twitter-2017 test)", caption=captions.get(it.post.image_name or ""))
            lab = it.labels[0].with_meta(created_at="2017-01-01T00:00:00+00:00")
            f.write(json.dumps(post_to_json(post, [lab]), ensure_ascii=False, sort_keys=True) + "\n")
    with open(OUT / "knowledge.jsonl", "w", encoding="utf-8") as f:
        for it in items:
            rec = know.get(it.post.id)
            if rec:
                f.write(json.dumps({"id": it.post.id.replace("twitter2017/", "demo/"), "text": rec.text},
                                   ensure_ascii=False) + "\n")
    draw_images()
    print(f"wrote {len(items)} posts to {OUT}")


if __name__ == "__main__":
    main()
