"""Benchmark: a scripted annotator corrects 50 posts of Twitter-2017 valid in Chromium with
the keyboard and the mouse, as a person would in the Annotate tab: take the student's
suggestions it agrees with (one click each), mark one missing entity (drag across the word,
press its type's number), save (s), next (n). Every action is timed from the moment it is
sent to the moment the page shows its effect (Playwright's own round trip included: these
are upper bounds).

    python benchmarks/annotation_session.py [--posts 50]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import time

from _common import write_result

from cot_explorer.cli import main as cli
from cot_explorer.devtools.harness import chromium, fill, pick, running_app, store_of, tab, user_home
from cot_explorer.paths import twitter_file


class Session:
    def __init__(self, page):
        self.page = page
        self.times: dict[str, list[float]] = {}
        self.actions = 0

    def act(self, kind: str, do, shown) -> None:
        """One user action and the wait until the page shows its effect."""
        t0 = time.perf_counter()
        do()
        shown()
        self.times.setdefault(kind, []).append((time.perf_counter() - t0) * 1000)
        self.actions += 1


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--posts", type=int, default=50)
    args = ap.parse_args()
    user = user_home("annotation-session")
    home = store_of(user)
    spans_added = suggestions_taken = 0
    span_actions = suggestion_actions = 0
    try:
        cli(["--home", str(home), "import", "twitter", str(twitter_file("twitter2017", "valid")),
             "--dataset", "twitter2017", "--split", "valid"])
        with running_app(user) as url, chromium() as browser:
            page = browser.new_page(viewport={"width": 1300, "height": 1000})
            page.goto(url)
            tab(page, "Annotate")
            page.locator("#span-editor .se-tok").first.wait_for()
            fill(page, "annotator", "bench")
            pick(page, "queue-dataset", "twitter2017/valid")
            page.locator("#se-pos").get_by_text(" / 723").wait_for()
            s = Session(page)
            editor = page.locator("#span-editor")
            for n in range(1, args.posts + 1):
                page.locator("#se-pos").get_by_text(f"{n} / 723").wait_for()
                # take every student suggestion that clashes with nothing: one click each
                for _ in range(3):
                    sug = editor.locator(".se-sug.student:not(.clash)")
                    if sug.count() == 0:
                        break
                    before = editor.locator(".se-chip").count()
                    s.act("accept suggestion", sug.first.click,
                          lambda b=before: page.wait_for_function(
                              "b => document.querySelectorAll('#span-editor .se-chip').length > b", arg=b))
                    suggestions_taken += 1
                    suggestion_actions += 1
                # mark the first capitalised word in no span as an entity: drag across it, press 1
                free = editor.locator(".se-tok:not(.in-span)")
                target = None
                for i in range(free.count()):
                    word = free.nth(i).text_content() or ""
                    if word[:1].isupper() and word.isalpha():
                        target = free.nth(i)
                        break
                if target is not None:
                    idx = target.get_attribute("data-i")

                    def drag(t=target):
                        t.hover()
                        page.mouse.down()
                        page.mouse.up()

                    s.act("select words", drag, lambda i=idx: page.locator(f"#span-editor .se-tok.sel[data-i='{i}']").wait_for())
                    before = editor.locator(".se-chip").count()
                    s.act("set type", lambda: page.keyboard.press("1"),
                          lambda b=before: page.wait_for_function(
                              "b => document.querySelectorAll('#span-editor .se-chip').length > b", arg=b))
                    spans_added += 1
                    span_actions += 2
                if editor.locator(".se-dirty.on").count():
                    s.act("save", lambda: page.keyboard.press("s"),
                          lambda: page.locator("#annotate-status").get_by_text("Saved version").last.wait_for())
                    page.locator("#span-editor .se-dirty:not(.on)").wait_for()
                if n < args.posts:
                    s.act("next post", lambda: page.keyboard.press("n"),
                          lambda m=n + 1: page.locator("#se-pos").get_by_text(f"{m} / 723").wait_for())
            page.close()
        every = [t for ts in s.times.values() for t in ts]
        summary = {
            "posts": args.posts,
            "ui_response_ms_p50": round(statistics.median(every), 1),
            "ui_response_ms_p90": round(statistics.quantiles(every, n=10)[8], 1),
            "actions": s.actions,
            "spans_added": spans_added,
            "actions_per_span": round(span_actions / max(1, spans_added), 2),
            "suggestions_accepted": suggestions_taken,
            "actions_per_accepted_suggestion": round(suggestion_actions / max(1, suggestions_taken), 2),
            "per_action_ms_p50": {k: round(statistics.median(v), 1) for k, v in s.times.items()},
            "per_action_count": {k: len(v) for k, v in s.times.items()},
        }
        table = "\n".join(["| measure | value | target |", "|---|---|---|",
                           f"| UI response per action, median | {summary['ui_response_ms_p50']} ms | ≤ 150 ms |",
                           f"| actions per added span | {summary['actions_per_span']} | ≤ 3 |",
                           f"| actions per accepted suggestion | {summary['actions_per_accepted_suggestion']} | 1 |"] +
                          [f"| {k}, median | {v} ms | |" for k, v in summary["per_action_ms_p50"].items()])
        write_result("annotation_session", {"benchmark": "annotation_session", "summary": summary,
                                            "targets": {"ui_response_ms_p50": 150, "actions_per_span": 3,
                                                        "actions_per_accepted_suggestion": 1}}, table)
    finally:
        shutil.rmtree(user, ignore_errors=True)


if __name__ == "__main__":
    main()
