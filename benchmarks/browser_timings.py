"""Benchmark: timings seen in the browser (Debian's headless Chromium) against the real app
on the bundled demo set. Writes benchmarks/results/browser.json.

- first page load: navigation until the tabs are on screen (fresh page, each repeat);
- next post in the annotation queue: click until the new post is shown;
- student prediction for an upload: click "Analyse upload" until its entities are shown.

    python benchmarks/browser_timings.py [--repeat 10]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import time
from pathlib import Path

from _common import write_result

from cot_explorer.devtools.harness import chromium, fill, running_app, tab, user_home


def measure(user: Path, repeat: int) -> tuple[list[float], list[float], list[float]]:
    """Page loads, next-post clicks and upload predictions, in seconds, against the app run for `user`."""
    loads, nexts, predicts = [], [], []
    with running_app(user) as url, chromium() as browser:
        warm = browser.new_page()
        warm.goto(url)
        warm.get_by_role("tab", name="Annotate").wait_for()
        warm.close()
        for _ in range(repeat):
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
        page.locator("#se-pos").get_by_text("1 / 40").wait_for()  # the tab opens on the first dataset
        for i in range(2, 2 + repeat):
            t0 = time.perf_counter()
            page.locator("#se-next").click()
            page.locator("#se-pos").get_by_text(f"{i} / 40").wait_for()
            nexts.append(time.perf_counter() - t0)
        tab(page, "Explore")
        shown = ""
        for i in range(repeat + 1):
            fill(page, "post-text", f"Lionel Messi arrives in Miami for the Inter Miami match number {i}")
            t0 = time.perf_counter()
            page.locator("#explore-btn").click()
            page.wait_for_function(
                "old => { const t = document.querySelector('#explore-post-id').innerText;"
                " return t.includes('uploads/user/') && t !== old; }", arg=shown)
            page.locator("#post-rows mark").get_by_text("Messi").first.wait_for()
            if i:  # the first upload is a warm-up
                predicts.append(time.perf_counter() - t0)
            shown = page.locator("#explore-post-id").inner_text()
    return loads, nexts, predicts


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeat", type=int, default=10)
    args = ap.parse_args()
    user = user_home("browser-bench")  # the app's store lands in this user's data folder, as for a real user
    try:
        loads, nexts, predicts = measure(user, args.repeat)
    finally:
        shutil.rmtree(user, ignore_errors=True)

    def ms(xs: list[float]) -> dict:
        return {"median_ms": round(1000 * statistics.median(xs), 1), "max_ms": round(1000 * max(xs), 1), "n": len(xs)}

    targets = {"first_page_load": 3000, "next_post_in_queue": 300, "student_prediction_for_upload": 500}
    result = {"benchmark": "browser", "first_page_load": ms(loads), "next_post_in_queue": ms(nexts),
              "student_prediction_for_upload": ms(predicts), "targets_ms": targets}
    table = "\n".join(["| timing | median ms | max ms | n | target ms |", "|---|---|---|---|---|"] +
                      [f"| {k} | {result[k]['median_ms']} | {result[k]['max_ms']} | {result[k]['n']} | {t} |"
                       for k, t in targets.items()])
    write_result("browser", result, table)


if __name__ == "__main__":
    main()
