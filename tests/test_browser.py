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
    # the student's row of the post: Messi highlighted as PER (confidence on hover)
    expect(page.locator("#post-rows mark[data-type='PER']").first).to_contain_text("Messi", timeout=T)
    assert "confidence" in page.locator("#post-rows mark[data-type='PER']").first.get_attribute("title")
    expect(page.locator("#cot")).to_contain_text("ANTHROPIC_API_KEY")  # how to enable the live teacher
    shot(page, "explore")
    with db(home) as c:
        (sha,) = c.execute("SELECT image_sha256 FROM posts WHERE dataset = 'uploads' AND text LIKE 'Messi scores%'"
                           ).fetchone()
    assert sha
    # Annotate the first demo post: drag across a word, press a number, save, find it in SQLite, undo
    tab(page, "Annotate")
    fill(page, "annotator", "alice")
    expect(page.locator("#se-pos")).to_contain_text("not in the queue", timeout=T)  # the upload, from Explore
    page.locator("#se-next").click()
    expect(page.locator("#se-pos")).to_contain_text("1 / 40", timeout=T)  # the queue of the first dataset
    with db(home) as c:
        first = c.execute("SELECT id, tokens FROM posts WHERE dataset='demo' ORDER BY position LIMIT 1").fetchone()[0]
        gold_v = c.execute("SELECT version FROM labels WHERE post_id = ? ORDER BY version DESC", (first,)).fetchone()[0]
    free = page.locator("#span-editor .se-tok:not(.in-span)").nth(2)
    i = int(free.get_attribute("data-i"))
    free.hover()
    page.mouse.down()
    page.mouse.up()
    page.keyboard.press("1")
    page.keyboard.press("s")
    expect(page.locator("#annotate-status")).to_contain_text("Saved version", timeout=T)
    shot(page, "annotate")
    with db(home) as c:
        v, author, source, replaces, payload = c.execute(
            "SELECT version, author, source, replaces, payload FROM labels WHERE post_id = ? ORDER BY version DESC LIMIT 1",
            (first,)).fetchone()
    assert (author, source, replaces) == ("alice", "annotator", gold_v)
    assert {"start": i, "end": i + 1, "type": "PER", "origin": "annotator"} in json.loads(payload)["spans"]
    page.locator("#se-undo").click()
    expect(page.locator("#annotate-status")).to_contain_text("Undid", timeout=T)
    with db(home) as c:
        rows = c.execute("SELECT version, action, payload, replaces FROM labels WHERE post_id = ? ORDER BY version",
                         (first,)).fetchall()
    assert len(rows) == 3 and rows[2][1] == "undo" and rows[2][2] == rows[0][2] and rows[2][3] == v
    # correct the next post (key n) by taking all the student's suggestions, so a round has something to learn
    page.locator("body").press("n")
    expect(page.locator("#se-pos")).to_contain_text("2 / 40", timeout=T)
    page.locator("#se-accept-student").click()
    drag_free = page.locator("#span-editor .se-tok:not(.in-span)").nth(0)
    drag_free.hover()
    page.mouse.down()
    page.mouse.up()
    page.keyboard.press("4")
    page.locator("#se-save").click()
    expect(page.locator("#annotate-status")).to_contain_text("Saved version", timeout=T)
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
    tab(page, "Errors")
    pick(page, "errors-dataset", "demo/test")
    page.locator("#errors-btn").click()
    expect(page.locator("#errors-table")).to_contain_text("demo/test/", timeout=T)
    shot(page, "errors")
    tab(page, "Store")
    expect(page.locator("#stats-table")).to_contain_text("demo", timeout=T)
    shot(page, "store")
    page.close()
