"""Who may do what, checked on the server: events called with raw HTTP on the queue endpoint,
as an attacker would after loading the page, with the app started as the README says."""

from __future__ import annotations

import shutil
import sqlite3
import time
from pathlib import Path

import pytest
from playwright.sync_api import expect

from cot_explorer.access import AccessPolicy, Action, Role, User, hash_password, require
from cot_explorer.devtools.harness import pick, running_app, store_of, tab, user_home
from cot_explorer.errors import CotExplorerError
from cot_explorer.gradio_http import EventFailed, GradioHttp

from .test_images import png_bytes

USERS = "ann:annotator:ann-pass,vic:viewer:vic-pass,adm:admin:adm-pass"
QUEUE = ["demo/test", "any", False, False, "file order", {}, None]   # the filters, the editor, no queue made yet


def a_save(client: GradioHttp, author: str = "x"):
    """Save one span on the post open in this session, as the editor's Save does."""
    doc = client.opened
    return client.call("span-editor", [{**doc, "spans": [{"start": 0, "end": 1, "type": "PER"}]}, None, author],
                       trigger="save")


@pytest.fixture
def password_app(signed_in_app):   # USERS among conftest.SIGNED_IN_USERS
    return signed_in_app


def labels_count(home) -> int:
    with sqlite3.connect(home / "cot_explorer.db") as c:
        return c.execute("SELECT count(*) FROM labels").fetchone()[0]


def session(url: str, name: str | None = None, password: str | None = None) -> GradioHttp:
    client = GradioHttp(url)
    if name:
        client.login(name, password)
    client.call(None, ["", "", "", ""], trigger="load")  # no split, post, filters or analysis remembered
    # a post is open in this session: the editor's document among the queue's outputs
    data = client.call("queue-dataset", QUEUE, trigger="input").data
    client.opened = next(x for x in data if isinstance(x, dict) and x.get("post_id"))
    return client


def test_without_signing_in_no_event_runs(password_app):
    url, home = password_app
    known = session(url, "vic", "vic-pass").config  # the page's layout is no secret
    before = labels_count(home)
    with pytest.raises(EventFailed, match="401"):
        GradioHttp(url, config=known).call("span-editor", [{"post_id": "demo/test/x", "spans": []}, None, "x"],
                                           trigger="save")
    assert labels_count(home) == before


def test_a_signed_in_user_s_annotator_box_shows_their_own_name(password_app):
    """Saves go under the signed-in name whatever is typed: the box says so, fixed, rather than
    a name the browser remembers."""
    url, _ = password_app
    client = GradioHttp(url)
    client.login("ann", "ann-pass")
    loaded = client.call(None, ["", "", "", ""], trigger="load").data  # no split, post, filters or analysis remembered
    author = next(x for x in loaded if isinstance(x, dict) and x.get("interactive") is False)   # the box, by what it is
    assert author["value"] == "ann"


def test_a_viewer_cannot_save_labels_even_by_raw_http(password_app):
    url, home = password_app
    before = labels_count(home)
    with pytest.raises(EventFailed, match="vic \\(viewer\\) may not save labels"):
        a_save(session(url, "vic", "vic-pass"), "vic")
    assert labels_count(home) == before


def test_an_annotator_saves_under_their_own_name_but_cannot_promote_or_distill(password_app):
    url, home = password_app
    ann = session(url, "ann", "ann-pass")
    a_save(ann, "someone else")
    with sqlite3.connect(home / "cot_explorer.db") as c:
        author, source = c.execute("SELECT author, source FROM labels ORDER BY version DESC LIMIT 1").fetchone()
    assert (author, source) == ("ann", "annotator")
    with pytest.raises(EventFailed, match="needs the admin role"):
        ann.call("promote-btn", ["mner-default", False, "", "mner-default"])
    with pytest.raises(EventFailed, match="needs the admin role"):
        ann.call("distill-start", ["demo", "sneaky", "distill", 1, 1.0, "", "default"])
    with pytest.raises(EventFailed, match="needs the admin role"):   # the Store tab's export: admins only
        ann.call("export-btn", ["demo/test", "CoNLL: the dataset's own labels (gold)"])
    with sqlite3.connect(home / "cot_explorer.db") as c:
        assert c.execute("SELECT count(*) FROM jobs").fetchone()[0] == 0
        assert c.execute("SELECT count(*) FROM model_versions WHERE promoted_at IS NOT NULL").fetchone()[0] == 0


def test_an_admin_gets_past_the_role_check(password_app):
    url, home = password_app
    adm = session(url, "adm", "adm-pass")
    # refused for what it is, not for who asks (said under the buttons)
    assert "is the default already" in str(adm.call("promote-btn", ["mner-default", False, "", "mner-default"]).data[-1])
    assert "Exported 40 posts of demo/test" in str(adm.call("export-btn", ["demo/test", "CoNLL: the dataset's own labels (gold)"]
                                                          ).data[-1])
    load = adm.call(None, ["", "", "", ""], trigger="load").data  # no split, post, filters or analysis remembered
    line = f"Store: `{home}`"  # the store line names the path to admins only (images are served by URL to all)
    assert any(line in str(x) for x in load)
    vic = session(url, "vic", "vic-pass")
    assert not any(line in str(x) for x in vic.call(None, ["", "", "", ""], trigger="load").data)


def test_a_space_with_hugging_face_sign_in_starts_and_offers_it(tmp_path):
    """With the variables a Space sets for `hf_oauth: true`, the app did not start: Gradio's
    sign-in needs its `oauth` extra (authlib), which the requirements did not name."""
    import urllib.request

    user = user_home("space-oauth")
    env = {"SYSTEM": "spaces", "SPACE_ID": "someone/cot-explorer", "COT_EXPLORER_ADMINS": "someone", "OAUTH_CLIENT_ID": "client",
           "OAUTH_CLIENT_SECRET": "secret", "OAUTH_SCOPES": "openid profile",
           "OPENID_PROVIDER_URL": "http://127.0.0.1:9"}   # never reached: the page is served without it
    try:
        with running_app(user, env=env) as url:
            page = urllib.request.urlopen(url, timeout=30).read().decode()
            assert "Sign in with Hugging Face" in page   # the button, in the page's config
    finally:
        shutil.rmtree(user, ignore_errors=True)


def test_a_visitor_of_a_public_space_may_explore_and_predict_only(browser, tmp_path):
    user = user_home("space")
    try:
        with running_app(user, env={"SPACE_ID": "someone/cot-explorer", "COT_EXPLORER_ADMINS": "someone",
                                    "COT_EXPLORER_VIEWER_PREDICTIONS_PER_HOUR": "0"}) as url:
            visitor = session(url)
            result = visitor.call("explore-btn", ["Obama visits Paris", None, "", ""])
            assert "Obama" in str(result.data)  # a prediction...
            with sqlite3.connect(store_of(user) / "cot_explorer.db") as c:  # ...that stores nothing
                assert c.execute("SELECT count(*) FROM posts WHERE dataset = 'uploads'").fetchone()[0] == 0
            # with a picture: it stays on show (it vanished, and the result said "no image"), and
            # what the visitor sees is said to be all there is of it
            with sqlite3.connect(store_of(user) / "cot_explorer.db") as c:
                images = c.execute("SELECT count(*) FROM images").fetchone()[0]
            picture = visitor.upload("mine.png", png_bytes(color=(200, 30, 30)))
            data = visitor.call("explore-btn", ["Obama visits Paris", picture, "", ""]).data
            shown, caption, note = data[6], data[7], data[-1]
            assert shown and shown.get("visible") is not False and shown["value"]["path"]
            assert "no image" not in (caption or "") and "not stored" in note
            with sqlite3.connect(store_of(user) / "cot_explorer.db") as c:
                assert c.execute("SELECT count(*) FROM posts WHERE dataset = 'uploads'").fetchone()[0] == 0
                assert c.execute("SELECT count(*) FROM images").fetchone()[0] == images
            # in the page: the picture stays, no dead ?post= link, and Annotate is not handed a post
            # that is not in the store (it said "no post 'preview/…'" and stayed on "Opening…")
            page = browser.new_page(viewport={"width": 1300, "height": 1000})
            page.goto(url)
            (tmp_path / "mine.png").write_bytes(png_bytes(color=(30, 120, 200)))
            page.locator("#post-text textarea").fill("Lionel Messi arrives in Miami")
            page.locator("#post-image input[type=file]").set_input_files(str(tmp_path / "mine.png"))
            page.locator("#explore-btn").click()
            expect(page.locator("#analyse-note")).to_contain_text("not stored", timeout=60_000)
            expect(page.locator("#explore-post-id")).to_contain_text("preview/")
            expect(page.locator("#explore-image img")).to_be_visible()   # shown beside the results
            expect(page.locator("#post-image")).to_contain_text(".png")   # and kept in the box
            assert "post=" not in page.url
            # what a visitor may do, in the header on every tab (the Store tab alone said it)
            expect(page.locator("#space-line")).to_contain_text("You are a visitor: explore the posts", timeout=60_000)
            tab(page, "Annotate")
            expect(page.locator("#span-editor .se-tok").first).to_be_visible(timeout=60_000)
            expect(page.locator("#span-editor")).to_contain_text("Your role can look")
            expect(page.get_by_text("no post 'preview/")).to_have_count(0)
            # no name to type where nothing is saved, and relations said to be read, not picked
            expect(page.locator("#annotator input, #annotator textarea").first).to_be_disabled(timeout=60_000)
            pick(page, "queue-dataset", "demo-mnre/test")
            rels = page.locator("#span-editor .se-rels")
            expect(rels).to_contain_text("to read (your role does not change relations)", timeout=60_000)
            expect(rels).not_to_contain_text("Click a suggestion to take it")
            assert rels.locator("select").first.is_disabled()
            page.close()
            before = labels_count(store_of(user))
            with pytest.raises(EventFailed, match="visitor who has not signed in may not save labels"):
                a_save(visitor)
            assert labels_count(store_of(user)) == before
            # a whole split predicted for a visitor is bounded (any visitor could keep both cores
            # busy with every model version); nothing was predicted for the refused one, while
            # posts opened one by one (above, and in Annotate below) are not charged
            def predicted() -> int:
                with sqlite3.connect(store_of(user) / "cot_explorer.db") as c:
                    return c.execute("SELECT count(*) FROM predictions").fetchone()[0]

            before = predicted()
            note = visitor.call("errors-btn", ["demo/test", "default", "(none)"]).data[9]   # after the two filters
            assert "more than a viewer may have predicted in an hour (0;" in note and "Not analysed" in note
            assert "annotator" not in note   # no one signs in on this Space: no one to ask
            assert predicted() == before
    finally:
        shutil.rmtree(user, ignore_errors=True)


def test_roles_and_configuration(tmp_path):
    assert AccessPolicy.from_env({}).user() == User("local", Role.ADMIN)  # nothing configured: one local admin
    users = tmp_path / "users"
    users.write_text(f"# name:role:hash\nzoe:annotator:{hash_password('pw')}\n")
    policy = AccessPolicy.from_env({"COT_EXPLORER_USERS_FILE": str(users)})
    assert policy.check_password("zoe", "pw") and not policy.check_password("zoe", "PW")
    assert policy.user("zoe").role == Role.ANNOTATOR
    with pytest.raises(CotExplorerError, match="mallory is no longer a user of this app"):
        policy.user("mallory")   # a session whose name is not (or no longer) in the file
    users.write_text("zoe:superuser:x\n")
    with pytest.raises(CotExplorerError, match="users:1: role 'superuser'"):
        AccessPolicy.from_env({"COT_EXPLORER_USERS_FILE": str(users)})
    space = AccessPolicy.from_env({"SPACE_ID": "a/b", "COT_EXPLORER_ANNOTATORS": "ann", "OAUTH_CLIENT_ID": "x"})
    assert space.uses_hf_sign_in and space.user(hf_username="ann").role == Role.ANNOTATOR
    assert space.user(hf_username=None).role == Role.VIEWER
    # a Space without sign-in is read-only for everyone, its store maybe on a disk a restart
    # empties: both said in its log (nothing was), and a visitor is not "signed in as visitor"
    env = {"SPACE_ID": "a/b", "COT_EXPLORER_ADMINS": "me"}
    closed = AccessPolicy.from_env(env)
    assert closed.nobody_signs_in and not space.nobody_signs_in
    said = closed.startup_notes(env)
    assert "no sign-in" in said[0] and "hf_oauth: true" in said[0] and "COT_EXPLORER_HOME is not set" in said[1]
    assert "OAUTH_CLIENT_ID is not set" in said[0]   # what was checked (the README has `hf_oauth: true`)
    assert space.startup_notes({"COT_EXPLORER_HOME": "/data/cot-explorer"}) == []
    from cot_explorer.ui.store_tab import store_line
    line = store_line(Path("/data/x"), closed.user(hf_username=None), closed)
    assert "Signed in" not in line and "no sign-in" in line and "/data/x" not in line
    assert "Signing in with Hugging Face" in store_line(Path("/data/x"), space.user(hf_username=None), space)
    for action in (Action.TRAIN, Action.EXPORT, Action.ASK_CLAUDE, Action.SEE_STORE_PATH):
        with pytest.raises(CotExplorerError):
            require(User("ann", Role.ANNOTATOR), action)


def test_a_users_file_named_but_missing_opens_the_app_to_no_one(tmp_path):
    with pytest.raises(CotExplorerError, match="cannot read the users file"):
        AccessPolicy.from_env({"COT_EXPLORER_USERS_FILE": str(tmp_path / "typo")})
    # a file whose last user was removed keeps the login page (it opened the app to all as admin)
    empty = tmp_path / "users"
    empty.write_text("# name:role:password hash (cot-explorer users add)\n")
    policy = AccessPolicy.from_env({"COT_EXPLORER_USERS_FILE": str(empty)})
    assert policy.uses_login_page and not policy.check_password("local", "")
    with pytest.raises(CotExplorerError, match="no longer a user"):
        policy.user("local")


def test_a_users_file_that_breaks_while_the_app_runs_keeps_the_accounts_until_it_reads_again(tmp_path):
    users = tmp_path / "users"
    users.write_text(f"zoe:annotator:{hash_password('pw')}\n")
    policy = AccessPolicy.from_env({"COT_EXPLORER_USERS_FILE": str(users)})
    users.write_text("zoe:superuser:x\n")          # a hand edit gone wrong: the accounts before stand
    assert policy.user("zoe").role == Role.ANNOTATOR and policy.check_password("zoe", "pw")
    users.write_text(f"zoe:admin:{hash_password('pw2')}\n")   # mended: read at the next action
    assert policy.user("zoe").role == Role.ADMIN and policy.check_password("zoe", "pw2")
    users.unlink()                                   # deleted: no one signs in, no one is let in
    assert not policy.check_password("zoe", "pw2")
    with pytest.raises(CotExplorerError, match="zoe is no longer a user"):
        policy.user("zoe")


def test_a_change_of_the_users_file_applies_to_a_running_app_at_the_next_action(tmp_path, monkeypatch, capsys):
    """A demoted annotator still saved, a removed user still signed in, and an old password
    still worked, until the app's next start; nothing said so. Then a session signed in before
    a password reset stayed signed in."""
    import io

    from cot_explorer.cli import main

    users = tmp_path / "users"

    def users_cli(*argv: str, password: str = "") -> tuple[int, str, str]:
        monkeypatch.setattr("sys.stdin", io.StringIO(password + "\n"))
        rc = main(["users", *argv, "--file", str(users)] + (["--password-stdin"] if password else []))
        out = capsys.readouterr()
        return rc, out.out, out.err

    assert users_cli("add", "adm", "--role", "admin", password="adm-password")[0] == 0
    assert users_cli("add", "ann", "--role", "annotator", password="ann-password")[0] == 0
    home = user_home("access-live")
    try:
        with running_app(home, env={"COT_EXPLORER_USERS_FILE": str(users)}) as url:
            ann = session(url, "ann", "ann-password")
            before = labels_count(store_of(home))
            a_save(ann)
            assert labels_count(store_of(home)) == before + 1

            other = session(url, "ann", "ann-password")   # the same person on a second browser
            rc, out, _ = users_cli("add", "ann", "--role", "viewer", password="new-password")
            assert rc == 0 and "ann is now viewer" in out and "(was annotator; their password is the new one, and their open sessions end" in out
            # the sessions signed in with the old password end (they stayed signed in) at the next
            # action of anyone that reads the file: here the refused sign-in with the old password;
            # a sign-in with the new one after it goes on
            with pytest.raises(EventFailed, match="login refused"):
                GradioHttp(url).login("ann", "ann-password")
            renewed = session(url, "ann", "new-password")
            for old in (ann, other):
                with pytest.raises(EventFailed, match="HTTP 401"):
                    a_save(old)
            with pytest.raises(EventFailed, match="ann \\(viewer\\) may not save labels"):
                a_save(renewed)   # signed in again, with the role the file gives

            rc, out, err = users_cli("list")
            assert out.splitlines() == ["adm\tadmin", "ann\tviewer"] and "2 users in" in err
            rc, out, _ = users_cli("remove", "ann")
            assert rc == 0 and "ann is no longer a user" in out
            with pytest.raises(EventFailed, match="ann is no longer a user of this app"):   # said
                renewed.call("queue-dataset", QUEUE, trigger="input")
            # and signed out a moment later (at once, the answer saying why was refused too: a
            # browser opens the stream of answers after the action has left)
            deadline = time.monotonic() + 30
            while True:
                with pytest.raises(EventFailed) as refused:
                    renewed.call("queue-dataset", QUEUE, trigger="input")
                if "HTTP 401" in refused.value.message or time.monotonic() > deadline:
                    break
                assert "ann is no longer a user of this app" in refused.value.message   # refused meanwhile
                time.sleep(0.5)
            assert "HTTP 401" in refused.value.message
            with pytest.raises(EventFailed, match="login refused"):
                GradioHttp(url).login("ann", "new-password")
            session(url, "adm", "adm-password")   # the others are untouched
            assert labels_count(store_of(home)) == before + 1
            rc, out, _ = users_cli("remove", "adm")
            assert rc == 0 and "no user is left in it: nobody can sign in until one is added" in out
    finally:
        shutil.rmtree(home, ignore_errors=True)
    rc, _, err = users_cli("remove", "nobody")
    assert rc == 2 and "no user 'nobody'" in err
    monkeypatch.setattr("sys.stdin", io.StringIO(""))   # no terminal, no --password-stdin: a sentence
    assert main(["users", "add", "zed", "--role", "viewer", "--file", str(users)]) == 2
    assert "pipe it in with --password-stdin" in capsys.readouterr().err


def test_users_add_writes_a_hash_the_login_accepts(tmp_path, monkeypatch, capsys):
    import io

    from cot_explorer.cli import main

    users = tmp_path / "users"
    monkeypatch.setattr("sys.stdin", io.StringIO("correct horse\n"))
    assert main(["--home", str(tmp_path / "h"), "users", "add", "zoe", "--role", "admin", "--file", str(users),
                 "--password-stdin"]) == 0
    assert "correct horse" not in users.read_text()
    policy = AccessPolicy.from_env({"COT_EXPLORER_USERS_FILE": str(users)})
    assert policy.check_password("zoe", "correct horse") and policy.user("zoe").role == Role.ADMIN
    monkeypatch.setattr("sys.stdin", io.StringIO("long enough\n"))
    assert main(["--home", str(tmp_path / "h"), "users", "add", "local", "--role", "viewer", "--file", str(users),
                 "--password-stdin"]) == 2
    assert "'local' is the app's own name for its one local user" in capsys.readouterr().err
    with pytest.raises(CotExplorerError, match="'local' is the app's own name"):
        AccessPolicy.from_env({"COT_EXPLORER_USERS": "local:admin:whatever"})
    # a name as it reads: "zed " signs in as "zed"
    assert AccessPolicy.from_env({"COT_EXPLORER_USERS": "zed :viewer:zed-pass"}).check_password("zed", "zed-pass")
    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    assert main(["--home", str(tmp_path / "h"), "users", "add", "bob", "--role", "viewer", "--file", str(users),
                 "--password-stdin"]) == 2
    assert "at least 8 characters" in capsys.readouterr().err
    # "Zoe" beside "zoe" would be two people signing in and one annotator in the labels
    monkeypatch.setattr("sys.stdin", io.StringIO("another one\n"))
    assert main(["--home", str(tmp_path / "h"), "users", "add", "Zoe", "--role", "viewer", "--file", str(users),
                 "--password-stdin"]) == 2
    assert "a user 'zoe' exists already, and names that differ only in capitals" in capsys.readouterr().err
    assert policy.check_password("zoe", "correct horse")


def test_a_viewer_is_told_to_ask_an_annotator_only_where_one_can_sign_in():
    """A Space's visitor, who could not sign in, was told to ask an annotator or admin."""
    assert not AccessPolicy("space").someone_unlimited                                  # no sign-in
    assert not AccessPolicy("space", hf_oauth=True).someone_unlimited                   # no one named
    assert AccessPolicy("space", hf_oauth=True, annotators=frozenset({"ann"})).someone_unlimited
    assert AccessPolicy("local").someone_unlimited and AccessPolicy("password").someone_unlimited


def test_a_removed_user_s_sign_ins_end_a_moment_later_and_a_reset_s_at_once(monkeypatch):
    """The sign-ins of a removed account end after the action that found it removed has been
    answered (ended at once, that answer was refused and the page said the connection was
    lost); those of an account whose password changed end at once; a sign-in made after the
    removal (the name added again) is not ended."""
    import time
    from types import SimpleNamespace

    from cot_explorer.ui import app as app_module

    monkeypatch.setattr(app_module, "REMOVED_SESSION_GRACE_S", 0.2)
    tokens = {"t-gone": "gone", "t-reset": "reset", "t-other": "other"}
    demo = SimpleNamespace(server_app=SimpleNamespace(tokens=tokens))
    app_module.end_sessions(demo, frozenset({"gone", "reset"}), removed=frozenset({"gone"}))
    assert tokens == {"t-gone": "gone", "t-other": "other"}     # the reset's at once, the removed one's not yet
    tokens["t-gone-again"] = "gone"                              # added again and signed in meanwhile
    deadline = time.monotonic() + 5
    while "t-gone" in tokens and time.monotonic() < deadline:
        time.sleep(0.05)
    assert tokens == {"t-other": "other", "t-gone-again": "gone"}
