"""Benchmark: timings seen in the browser (Debian's headless Chromium) against the real app
on the bundled demo set. Writes benchmarks/results/browser.json.

- first page load: navigation until the tabs are on screen (fresh page, each repeat);
- next post in the annotation queue: click until the new post is shown;
- student prediction for an upload: click "Analyse upload" until its entities are shown.

    python benchmarks/browser_timings.py [--repeat 10]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from cot_explorer.devtools.harness import chromium, fill, pick, running_app, tab  # noqa: E402

RESULTS = Path(__file__).parent / "results"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeat", type=int, default=10)
    args = ap.parse_args()
    loads, nexts, predicts = [], [], []
    home = Path(tempfile.mkdtemp()) / "home"
    with running_app(home) as url, chromium() as browser:
        warm = browser.new_page()
        warm.goto(url)
        warm.get_by_role("tab", name="Annotate").wait_for()
        warm.close()
        for _ in range(args.repeat):
            page = browser.new_page(viewport={"width": 1300, "height": 1000})
            t0 = time.perf_counter()
            page.goto(url)
            page.get_by_role("tab", name="Annotate").wait_for()
            page.locator("#pick-post").wait_for()
            loads.append(time.perf_counter() - t0)
            page.close()
        page = browser.new_page(viewport={"width": 1300, "height": 1000})
        page.goto(url)
        page.get_by_role("tab", name="Annotate").wait_for()
        tab(page, "Annotate")
        pick(page, "queue-dataset", "demo/test")
        page.locator("#queue-pos").get_by_text("1 / 40").wait_for()
        for i in range(2, 2 + args.repeat):
            t0 = time.perf_counter()
            page.locator("#next-btn").click()
            page.locator("#queue-pos").get_by_text(f"{i} / 40").wait_for()
            nexts.append(time.perf_counter() - t0)
        tab(page, "Explore")
        shown = ""
        for i in range(args.repeat + 1):
            fill(page, "post-text", f"Lionel Messi arrives in Miami for the Inter Miami match number {i}")
            t0 = time.perf_counter()
            page.locator("#explore-btn").click()
            page.wait_for_function(
                "old => { const t = document.querySelector('#explore-post-id').innerText;"
                " return t.includes('uploads/user/') && t !== old; }", arg=shown)
            page.locator("#student-entities").get_by_text("Messi").first.wait_for()
            if i:  # the first upload is a warm-up
                predicts.append(time.perf_counter() - t0)
            shown = page.locator("#explore-post-id").inner_text()
    ms = lambda xs: {"median_ms": round(1000 * statistics.median(xs), 1), "max_ms": round(1000 * max(xs), 1),
                     "n": len(xs)}
    result = {"benchmark": "browser", "command": "python benchmarks/browser_timings.py " + " ".join(sys.argv[1:]),
              "machine": {"cpus": os.cpu_count(), "platform": platform.platform()},
              "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
              "first_page_load": ms(loads), "next_post_in_queue": ms(nexts), "student_prediction_for_upload": ms(predicts),
              "targets_ms": {"first_page_load": 3000, "next_post_in_queue": 300, "student_prediction_for_upload": 500}}
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "browser.json").write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps({k: result[k] for k in ("first_page_load", "next_post_in_queue", "student_prediction_for_upload")},
                     indent=2))


if __name__ == "__main__":
    main()
