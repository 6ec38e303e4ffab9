"""The whole loop in a real browser: upload, CoT and predictions, correction, SQLite,
undo, conflict between two sessions, a tiny distillation job to 100%, the new version."""

import json
import sqlite3
from pathlib import Path

import pytest
from playwright.sync_api import expect

from cot_explorer.devtools.harness import fill, pick, shot, tab

DEMO_IMAGE = Path(__file__).resolve().parents[1] / "assets" / "demo" / "stadium.png"
T = 60_000  # ms


@pytest.fixture(scope="module")
def app(local_app):
    url, home, _uploads = local_app
    return url, home


def db(home: Path):
    return sqlite3.connect(home / "cot_explorer.db")


def open_page(browser, url):
    page = browser.new_page(viewport={"width": 1300, "height": 1000})
    page.goto(url)
    expect(page.get_by_role("tab", name="Annotate")).to_be_visible(timeout=T)
    return page


def test_upload_correct_undo_and_distill(app, browser):
    url, home = app
    page = open_page(browser, url)
    # Explore: upload a post with an image
    page.locator("#post-text textarea").fill("Messi scores twice as Barcelona beat Real Madrid at Camp Nou")
    page.locator("#post-image input[type=file]").set_input_files(str(DEMO_IMAGE))
    page.locator("#explore-btn").click()
    expect(page.locator("#student-entities")).to_contain_text("PER", timeout=T)
    expect(page.locator("#student-entities")).to_contain_text("Messi")
    expect(page.locator("#cot")).to_contain_text("ANTHROPIC_API_KEY")  # how to enable the live teacher
    shot(page, "explore")
    with db(home) as c:
        (sha,) = c.execute("SELECT image_sha256 FROM posts WHERE dataset = 'uploads'").fetchone()
    assert sha
    # Annotate a demo post: add a span, save, find it in SQLite, undo
    tab(page, "Annotate")
    fill(page, "annotator", "alice")
    pick(page, "queue-dataset", "demo/test")
    expect(page.locator("#queue-pos")).to_contain_text("1 / 40", timeout=T)
    with db(home) as c:
        first = c.execute("SELECT id, tokens FROM posts WHERE dataset='demo' ORDER BY position LIMIT 1").fetchone()
        gold_v, payload = c.execute("SELECT version, payload FROM labels WHERE post_id = ? ORDER BY version DESC",
                                    (first[0],)).fetchone()
    covered = {i for s in json.loads(payload)["spans"] for i in range(s["start"], s["end"])}
    tokens = json.loads(first[1])
    word = next(t for i, t in enumerate(tokens) if i not in covered and t.isalpha() and len(t) > 3 and tokens.count(t) == 1)
    # select the word in the post, as a person would; the selection fills "Add entity by its text"
    start = " ".join(tokens).index(f" {word} ") + 1 if f" {word} " in " ".join(tokens) else " ".join(tokens).index(word)
    page.locator("#post-sentence").evaluate(
        "(e, [a, b]) => { const r = document.createRange(); r.setStart(e.firstChild, a); r.setEnd(e.firstChild, b);"
        " const s = window.getSelection(); s.removeAllRanges(); s.addRange(r); }", [start, start + len(word)])
    page.locator("#post-sentence").dispatch_event("mouseup")
    expect(page.locator("#span-text").locator("textarea, input").first).to_have_value(word, timeout=T)
    page.locator("#add-span-btn").click()
    expect(page.locator("#spans-table")).to_contain_text(word, timeout=T)
    page.locator("#save-btn").click()
    expect(page.locator("#annotate-status")).to_contain_text("saved version", timeout=T)
    shot(page, "annotate")
    with db(home) as c:
        v, author, source, replaces = c.execute(
            "SELECT version, author, source, replaces FROM labels WHERE post_id = ? ORDER BY version DESC LIMIT 1",
            (first[0],)).fetchone()
    assert (author, source, replaces) == ("alice", "annotator", gold_v)
    page.locator("#undo-btn").click()
    expect(page.locator("#annotate-status")).to_contain_text("restored", timeout=T)
    with db(home) as c:
        rows = c.execute("SELECT version, source, payload, replaces FROM labels WHERE post_id = ? ORDER BY version",
                         (first[0],)).fetchall()
    assert len(rows) == 3 and rows[2][1] == "gold" and rows[2][2] == rows[0][2] and rows[2][3] == v
    # correct the next post (keyboard shortcut n), so the round has something to learn from
    page.locator("body").press("n")
    expect(page.locator("#queue-pos")).to_contain_text("2 / 40", timeout=T)
    page.locator("#accept-student-btn").click()
    page.wait_for_timeout(1500)
    page.locator("#save-btn").click()
    expect(page.locator("#annotate-status")).to_contain_text("saved version", timeout=T)
    # Distill: a tiny job, progress to 100%, the new version listed
    tab(page, "Distill")
    fill(page, "distill-name", "browser-round")
    page.locator("#distill-start").click()
    expect(page.locator("#job-progress")).to_contain_text("Job 1", timeout=T)
    page.reload()  # the job lives in SQLite: a reloaded page finds it and keeps following it
    tab(page, "Distill")
    expect(page.locator("#job-progress")).to_contain_text("progress: 100%", timeout=300_000)
    expect(page.locator("#versions-table")).to_contain_text("browser-round", timeout=T)
    shot(page, "distill")
    tab(page, "Error analysis")
    pick(page, "errors-dataset", "demo/test")
    page.locator("#errors-btn").click()
    expect(page.locator("#errors-table")).to_contain_text("demo/test/", timeout=T)
    shot(page, "errors")
    tab(page, "Store")
    expect(page.locator("#stats-table")).to_contain_text("demo", timeout=T)
    shot(page, "store")
    page.close()


def test_two_sessions_editing_one_post_conflict_and_nothing_is_lost(app, browser):
    url, home = app
    a, b = open_page(browser, url), open_page(browser, url)
    for page, name in ((a, "ann-a"), (b, "ann-b")):
        tab(page, "Annotate")
        fill(page, "annotator", name)
        pick(page, "queue-dataset", "demo/test")
        expect(page.locator("#queue-pos")).to_contain_text("/ 40", timeout=T)
        for n in (2, 3):
            page.locator("#next-btn").click()
            expect(page.locator("#queue-pos")).to_contain_text(f"{n} / 40", timeout=T)
    with db(home) as c:
        post_id = c.execute("SELECT id FROM posts WHERE dataset='demo' ORDER BY position LIMIT 1 OFFSET 2").fetchone()[0]
        before = c.execute("SELECT count(*) FROM labels WHERE post_id = ?", (post_id,)).fetchone()[0]
    a.locator("#accept-student-btn").click()
    a.wait_for_timeout(1500)
    a.locator("#save-btn").click()
    expect(a.locator("#annotate-status")).to_contain_text("saved version", timeout=T)
    b.locator("#save-btn").click()
    expect(b.get_by_text("conflict").first).to_be_visible(timeout=T)
    shot(b, "conflict")
    with db(home) as c:
        rows = c.execute("SELECT author FROM labels WHERE post_id = ? ORDER BY version", (post_id,)).fetchall()
    assert len(rows) == before + 1 and rows[-1][0] == "ann-a"
    a.close()
    b.close()
