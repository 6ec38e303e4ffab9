"""People signed in by name on one browser (a lab's shared machine): each has their own
drafts, and the page says who is signed in and how to sign out."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from cot_explorer.devtools.harness import fill, pick, pick_post, shot, tab
from cot_explorer.schema import LabelSet, Span
from cot_explorer.store import labels as label_store
from cot_explorer.store import open_store

from .test_browser_annotate import current_post_id, make_an_edit

T = 60_000
USERS = "ann1:annotator:ann1-pass,ann2:annotator:ann2-pass,adm:admin:adm-pass,view:viewer:view-pass"


@pytest.fixture
def signed_app(signed_in_app):   # USERS among conftest.SIGNED_IN_USERS
    return signed_in_app


def sign_in(page, name: str, role: str = "annotator") -> None:
    page.locator("input").first.fill(name)
    page.locator("input[type=password]").fill(f"{name}-pass")
    page.get_by_role("button", name=re.compile("log ?in", re.I)).click()
    expect(page.locator("#signed-in")).to_contain_text(f"Signed in as {name} ({role})", timeout=T)


def open_annotate_as(page, name: str) -> None:
    sign_in(page, name)
    tab(page, "Annotate")
    expect(page.locator("#span-editor .se-tok").first).to_be_visible(timeout=T)


def annotating(browser, url: str, name: str):
    """A browser of its own, signed in as `name`, on Annotate's first post."""
    context = browser.new_context(viewport={"width": 1300, "height": 1000})
    page = context.new_page()
    page.goto(url)
    open_annotate_as(page, name)
    return context, page


def test_on_a_phone_the_header_leaves_most_of_the_first_screen_to_the_app(signed_app, browser):
    """Beside the "Signed in as" line the header's words were a narrow column that took half a
    phone's first screen; they go across it, the line below them."""
    url, _ = signed_app
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.goto(url)
    sign_in(page, "ann1")
    header, who = page.locator("#app-header"), page.locator("#signed-in")
    assert header.bounding_box()["width"] > 300
    assert who.bounding_box()["y"] >= header.bounding_box()["y"] + header.bounding_box()["height"] - 1
    assert page.get_by_role("tab", name="Annotate").bounding_box()["y"] < 844 * 0.4
    shot(page, "phone-signed-in-header")
    context.close()


def test_one_person_s_unsaved_edits_are_not_offered_to_the_next_on_the_same_browser(signed_app, browser):
    """ann1 left an edit unsaved and went to /logout; ann2, signed in on that browser, was told
    "Restored your unsaved edits" and saved them as version N under ann2's name."""
    url, _ = signed_app
    context, page = annotating(browser, url, "ann1")
    make_an_edit(page)
    page.wait_for_timeout(500)   # the draft is kept as the edit is made
    page.get_by_role("link", name="Sign out").click()
    # asked in the editor's words (the browser's "Leave site?" could not save, nor say the
    # edits stay as a draft); signed out keeping them
    expect(page.locator("#se-dialog")).to_contain_text("Save them before you sign out?", timeout=T)
    page.locator("#se-dialog").get_by_role("button", name="Sign out, keep them as my draft").click()
    open_annotate_as(page, "ann2")
    page.wait_for_timeout(1500)
    expect(page.locator("#se-dirty")).not_to_contain_text("unsaved")
    expect(page.locator("#span-editor")).not_to_contain_text("Restored")
    shot(page, "signed-in-next-person")
    page.get_by_role("link", name="Sign out").click()
    sign_in(page, "ann1")   # their own draft is theirs still
    tab(page, "Annotate")
    expect(page.locator("#span-editor .se-note")).to_contain_text("Restored your unsaved edits", timeout=T)
    expect(page.locator("#se-dirty")).to_contain_text("unsaved")
    context.close()


def test_signing_out_with_unsaved_edits_can_save_them_first(signed_app, browser):
    """Sign out with an edit unsaved: "Save and sign out" saves it under the signed-in name, then
    signs out; "Stay" stays with the edit."""
    url, home = signed_app
    context, page = annotating(browser, url, "ann2")
    make_an_edit(page)
    pid = current_post_id(page, home)
    page.get_by_role("link", name="Sign out").click()
    page.locator("#se-dialog").get_by_role("button", name="Stay").click()
    expect(page.locator("#se-dialog")).to_have_count(0)
    expect(page.locator("#se-dirty")).to_contain_text("unsaved")
    page.get_by_role("link", name="Sign out").click()
    page.locator("#se-dialog").get_by_role("button", name="Save and sign out").click()
    expect(page.locator("#signed-in")).to_have_count(0, timeout=T)   # the sign-in page
    with open_store(home) as store:
        saved = label_store.current(store, pid, "mner")
    assert saved.source == "annotator" and saved.author == "ann2"
    context.close()


def test_the_first_tab_stop_skips_to_the_tabs_and_does_not_sign_out(signed_app, browser):
    """From the top of the page the first Tab stop was Sign out: Enter, a keyboard user's
    first key, signed them out at once."""
    url, _ = signed_app
    context = browser.new_context(viewport={"width": 1300, "height": 1000})
    page = context.new_page()
    page.goto(url)
    sign_in(page, "view", "viewer")
    page.evaluate("() => document.activeElement && document.activeElement.blur()")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to the tabs")
    expect(skip).to_be_focused()
    expect(skip).to_be_visible()      # seen while it has the focus, hidden otherwise
    shot(page, "signed-in-skip-link")
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.getAttribute('role')") == "tab"
    expect(page.locator("#signed-in")).to_contain_text("Signed in as view (viewer)")
    assert skip.bounding_box()["x"] < 0    # off the page again once the focus has left it
    context.close()


def test_an_annotator_is_not_shown_an_admin_s_buttons_nor_asked_what_they_may_not_do(signed_app, browser):
    """Start, Cancel, Promote, Roll back and Export were on show to annotators and refused at
    the press; "Delete this upload…" asked "cannot be undone?" and only after "Delete it" said
    an admin must do it."""
    url, home = signed_app
    context = browser.new_context(viewport={"width": 1300, "height": 1000})
    page = context.new_page()
    page.goto(url)
    sign_in(page, "ann1")
    tab(page, "Distill")
    expect(page.locator("#distill-admin-only")).to_contain_text(
        "Starting or cancelling a round, promoting and rolling back are for admins; you are ann1 (annotator)", timeout=T)
    expect(page.locator("#distill-start")).to_be_hidden()
    expect(page.locator("#promote-btn")).to_be_hidden()
    expect(page.locator("#versions-table")).to_be_visible()   # to read
    shot(page, "distill-for-an-annotator")
    tab(page, "Store")
    expect(page.locator("#stats-table")).to_be_visible(timeout=T)
    expect(page.locator("#export-box")).to_be_hidden()

    tab(page, "Explore")
    # the key's line ("set ANTHROPIC_API_KEY … and a restart") is an admin's to act on
    expect(page.locator("#ask-unavailable")).to_contain_text("Asking Claude, the live teacher, is for admins")
    expect(page.locator("#ask-btn")).to_be_hidden()
    fill(page, "post-text", "Merkel meets Macron in Berlin for signed-in delete test")
    page.locator("#explore-btn").click()
    expect(page.locator("#explore-post-id")).to_contain_text("uploads/", timeout=T)
    # the id alone: Gradio's progress line ("processing | 0.2s") can still be in the block
    pid = re.search(r"uploads/\S+", page.locator("#explore-post-id code").inner_text()).group(0)
    with open_store(home) as store:   # another annotator corrected it meanwhile
        label_store.save(store, pid, LabelSet("mner", (Span(0, 1, "PER"),), source="annotator", author="ann2"), None)
    page.locator("#delete-upload").click()
    expect(page.locator("#delete-done")).to_contain_text("Not deleted:", timeout=T)
    expect(page.locator("#delete-done")).to_contain_text("only an admin may delete it with them")
    expect(page.locator("#delete-yes")).to_be_hidden()
    page.get_by_role("link", name="Sign out").click()

    # a viewer's editor is greyed, and says why, before any try (it looked editable until one)
    sign_in(page, "view", "viewer")
    tab(page, "Annotate")
    expect(page.locator("#se-readonly")).to_have_text("Your role can look, not change labels: saving is for annotators.",
                                                      timeout=T)
    for button in ("#se-save", "#se-undo", "#se-redo", "#span-editor .se-type >> nth=0"):
        expect(page.locator(button)).to_be_disabled()
    expect(page.locator("#span-editor [data-act=accept-all]")).to_have_count(0)
    expect(page.locator("#span-editor .se-chip-type").first).to_be_visible()   # the labels, without a × to remove them
    expect(page.locator("#span-editor .se-x")).to_have_count(0)
    # the keys say it in the editor, not one "may not save" pop-up per press
    page.locator("#span-editor .se-tok").first.click()
    for key in ("s", "u", "r"):
        page.keyboard.press(key)
    expect(page.locator("#span-editor .se-note")).to_contain_text(
        "Your role can look, not change labels: saving is for annotators.", timeout=T)
    page.wait_for_timeout(1000)
    expect(page.locator('[data-testid="toast-text"]')).to_have_count(0)
    # nor is the Annotator box theirs, nor a count of work "by you" (it read "0 by you", beside
    # the viewer's name in the box, as if they were an annotator)
    annotator = page.locator("#annotator").locator("textarea, input").first
    expect(annotator).to_have_value("")
    expect(annotator).to_be_disabled()
    expect(annotator).to_have_attribute("placeholder", "viewers do not save labels")
    expect(page.locator("#se-progress")).to_contain_text("posts corrected")
    expect(page.locator("#se-progress")).not_to_contain_text("by you")
    shot(page, "annotate-for-a-viewer")
    page.get_by_role("link", name="Sign out").click()

    sign_in(page, "adm", "admin")   # an admin sees them all
    expect(page.locator("#ask-unavailable")).to_contain_text("ANTHROPIC_API_KEY", timeout=T)
    tab(page, "Distill")
    expect(page.locator("#distill-start")).to_be_visible(timeout=T)
    expect(page.locator("#promote-btn")).to_be_visible()
    expect(page.locator("#distill-admin-only")).to_be_hidden()
    context.close()


def test_a_page_whose_sign_in_ended_says_so_and_how_to_go_on(signed_app, browser):
    """After the app restarted, an open page's every event failed with a red "Error" on each
    box and no sentence: Save and Next seemed to do nothing. (A restart ends every sign-in: the
    same as the sign-in cookie gone, as here.)"""
    url, _ = signed_app
    context, page = annotating(browser, url, "ann2")
    expect(page.locator("#cot-connection-lost")).to_have_count(0)
    context.clear_cookies()
    page.locator("#se-next").click()
    bar = page.locator("#cot-connection-lost")
    expect(bar).to_contain_text("You are signed out", timeout=T)
    expect(bar).to_contain_text("unsaved edits are kept in this browser")
    shot(page, "signed-out-said")
    # its words wrapped within the window, at its foot, clear of the notices at the top (they ran
    # off the screen in one line there, the Reload button under a notice)
    assert bar.evaluate("b => b.scrollWidth <= b.clientWidth + 1 && b.getBoundingClientRect().bottom <= "
                        "window.innerHeight + 1 && b.getBoundingClientRect().top > window.innerHeight / 2")
    # and the page asks nothing more (a dead page's timers sent 179 refused calls in 3 minutes)
    asked = []
    page.on("request", lambda r: asked.append(r.url) if "/gradio_api/queue/join" in r.url else None)
    page.locator("#se-next").click()
    page.wait_for_timeout(1500)
    assert asked == []
    bar.get_by_role("button", name="Reload the page").click()
    expect(page.locator("input[type=password]")).to_be_visible(timeout=T)   # the login page
    # the app down (restarting): no answer at all
    open_annotate_as(page, "ann2")
    page.route("**/gradio_api/queue/join*", lambda route: route.abort())
    page.locator("#se-next").click()
    expect(page.locator("#cot-connection-lost")).to_contain_text("The app cannot be reached", timeout=T)
    context.close()


def test_an_annotator_removed_while_their_page_is_open_is_told_so_at_their_next_action(signed_app, browser):
    """An admin ran `cot-explorer users remove` while an annotator's page was open; at their
    Save the page got HTTP 401 for the answer that said why, and showed Gradio's "Connection
    lost, attempting reconnection" (false), or the login page with no reason."""
    import subprocess
    import sys

    from .conftest import REMOVABLE_USER, users_file_of

    url, store = signed_app
    name, password = REMOVABLE_USER
    users = users_file_of(store.parents[2])   # the store is under the app user's home
    # (added here again: a rerun in the same session finds the user removed by the last run)
    added = subprocess.run([sys.executable, "-m", "cot_explorer.cli", "users", "add", name, "--role", "annotator",
                            "--file", str(users), "--password-stdin"], input=password + "\n", text=True,
                           capture_output=True)
    assert added.returncode == 0, added.stderr
    context = browser.new_context(viewport={"width": 1300, "height": 1000})
    page = context.new_page()
    page.goto(url)
    page.locator("input").first.fill(name)
    page.locator("input[type=password]").fill(password)
    page.get_by_role("button", name=re.compile("log ?in", re.I)).click()
    expect(page.locator("#signed-in")).to_contain_text(f"Signed in as {name} (annotator)", timeout=T)
    tab(page, "Annotate")
    expect(page.locator("#span-editor .se-tok").first).to_be_visible(timeout=T)
    make_an_edit(page)
    removed = subprocess.run([sys.executable, "-m", "cot_explorer.cli", "users", "remove", name, "--file", str(users)],
                             text=True, capture_output=True)
    assert removed.returncode == 0, removed.stderr
    page.locator("#se-save").click()
    expect(page.get_by_text(f"{name} is no longer a user of this app").first).to_be_visible(timeout=T)
    shot(page, "signed-in-removed-said")
    expect(page.locator("#se-dirty")).to_contain_text("unsaved")   # the edit is still there, kept as a draft
    # the sign-in ends a moment after that answer: each Save meanwhile is refused the same way
    bar = page.locator("#cot-connection-lost")
    for _ in range(30):
        page.locator("#se-save").click()
        try:
            expect(bar).to_contain_text("You are signed out", timeout=1000)
            break
        except AssertionError:
            continue
    expect(bar).to_contain_text("You are signed out")
    context.close()


def test_in_a_blind_split_an_annotator_sees_only_their_own_labels(signed_app, browser):
    """Before blind annotation, the second annotator of a split opened the first one's save:
    their agreement was not of labels made apart. An admin makes the split blind in Annotate;
    ann2 then opens the post ann1 has just saved and sees the imported labels, not ann1's."""
    from cot_explorer.store import blind as blind_store

    url, home = signed_app
    lead_context = browser.new_context(viewport={"width": 1300, "height": 1000})
    lead = lead_context.new_page()
    lead.goto(url)
    sign_in(lead, "adm", "admin")
    tab(lead, "Annotate")
    expect(lead.locator("#span-editor .se-tok").first).to_be_visible(timeout=T)
    one_context, one = annotating(browser, url, "ann1")
    two_context = None
    try:
        lead.get_by_text("Annotator agreement", exact=True).click()
        split = lead.locator("#queue-dataset input").input_value()
        expect(lead.locator("#blind-split input")).to_be_enabled(timeout=T)
        lead.locator("#blind-split input").check()
        expect(lead.locator("#blind-note")).to_contain_text(f"{split} is annotated blind now", timeout=T)
        shot(lead, "blind-split-set")
        # the note is of that split: another picked, it goes (a refusal of one stayed under the next)
        pick(lead, "queue-dataset", "demo-mnre/test")
        expect(lead.locator("#blind-note")).to_be_empty(timeout=T)
        expect(lead.locator("#blind-split input")).not_to_be_checked()
        pick(lead, "queue-dataset", split)
        expect(lead.locator("#blind-split input")).to_be_checked(timeout=T)
        expect(lead.locator("#span-editor .se-tok").first).to_be_visible(timeout=T)
        # ann1's page, open before: its next answer shows the split blind
        one.locator("#se-next").click()
        expect(one.locator("#se-progress")).to_contain_text("is annotated blind: ", timeout=T)
        pid = current_post_id(one, home)
        with open_store(home) as s:
            imported = len(label_store.current(s, pid, "mner").spans)
        make_an_edit(one)
        one.keyboard.press("s")
        expect(one.locator("#annotate-status")).to_contain_text("your own labels of this post (blind", timeout=T)
        two_context, two = annotating(browser, url, "ann2")
        # ann1's post on ann2's page: the imported labels, and no word of ann1
        for _ in range(10):
            if current_post_id(two, home) == pid:
                break
            two.locator("#se-next").click()
            two.wait_for_timeout(700)
        assert current_post_id(two, home) == pid
        expect(two.locator("#span-editor .se-chip")).to_have_count(imported, timeout=T)
        expect(two.locator("#se-progress")).to_contain_text("is annotated blind:")   # ann2's own count only
        expect(two.locator("#span-editor")).not_to_contain_text("ann1")
        two.get_by_text("History of this post", exact=False).first.click()
        expect(two.locator("#annotate-history")).not_to_contain_text("ann1")
        shot(two, "blind-split-second-annotator")
        # agreement on the split is the admin's: ann2 is told it is left out
        two.get_by_text("Annotator agreement", exact=True).click()
        two.locator("#agreement-btn").click()
        # said under the table (in the status line above the editor it was a screen away)
        expect(two.locator("#agreement-note")).to_contain_text("are left out", timeout=T)
        expect(two.locator("#agreement-note")).to_be_in_viewport()
        # not "No post has been saved by two or more annotators", false of the blind split's
        expect(two.locator("#agreement-note")).not_to_contain_text("No post has been saved")
        expect(two.locator("#blind-split input")).to_be_checked()
        expect(two.locator("#blind-split input")).to_be_disabled()   # an admin's choice: not offered to click
        # and its error analysis is an admin's: refused in a sentence that ends, on the split Annotate is on
        tab(two, "Errors")
        expect(two.locator("#errors-dataset input")).to_have_value(split, timeout=T)
        two.locator("#errors-btn").click()
        expect(two.locator("#errors-note")).to_contain_text(
            "so it is for admins until an admin ends blind annotation.", timeout=T)
        # ann2 labels the post otherwise: the lead settles it from ann1's labels, put in the lead's
        # editor from the agreement panel (the lead's editor shows the lead's own: the version
        # read in the panel had to be typed again)
        tab(two, "Annotate")
        make_an_edit(two, "3")
        two.keyboard.press("s")
        expect(two.locator("#annotate-status")).to_contain_text("your own labels of this post (blind", timeout=T)
        with open_store(home) as s:
            ann1 = sorted((x.start, x.end, x.type) for x in blind_store.seen_by(s, pid, "ann1").labels.spans)
        expect(two.locator("#agreement-said")).to_be_empty()   # not theirs to read, nor to take
        expect(two.locator("#agreement-take")).to_be_hidden()
        lead.locator("#agreement-btn").click()
        expect(lead.locator("#agreement-table")).to_contain_text("ann1 · ann2", timeout=T)
        pick_post(lead, "agreement-posts", pid)
        expect(lead.locator("#agreement-said")).to_contain_text("ann2 (version", timeout=T)
        # said at the post too, where the lead reads it opening it any other way
        expect(lead.locator("#se-progress")).to_contain_text("Annotators disagree on this post", timeout=T)
        chips = lead.locator("#span-editor .se-chip")
        mine = chips.count()
        lead.locator("#agreement-take input").click()
        lead.get_by_role("option", name="ann1", exact=True).click()
        expect(lead.locator("#annotate-status")).to_contain_text("Put ann1's labels (version", timeout=T)
        expect(lead.locator("#span-editor .se-note")).to_contain_text("ann1's labels, not saved", timeout=T)
        expect(lead.locator("#se-dirty")).to_contain_text("unsaved", timeout=T)
        expect(chips).to_have_count(len(ann1))
        shot(lead, "blind-lead-takes-ann1")
        lead.keyboard.press("u")   # the keys are the editor's: back to what was on show
        expect(chips).to_have_count(mine, timeout=T)
        expect(lead.locator("#span-editor .se-note")).not_to_contain_text("not saved")   # said of labels gone
        lead.keyboard.press("r")
        expect(chips).to_have_count(len(ann1), timeout=T)
        lead.keyboard.press("s")
        expect(lead.locator("#annotate-status")).to_contain_text("your labels of this post are its current ones now",
                                                                 timeout=T)
        expect(lead.locator("#se-progress")).not_to_contain_text("Annotators disagree", timeout=T)
        with open_store(home) as s:
            now = label_store.head(s, pid, "mner")
            assert now.author == "adm" and sorted((x.start, x.end, x.type) for x in now.labels.spans) == ann1
    finally:
        with open_store(home) as s:
            for dataset, split_name in blind_store.blind_splits(s):
                blind_store.set_blind(s, dataset, split_name, False, None)
        for context in (lead_context, one_context, two_context):
            if context is not None:
                context.close()
