"""Shared fixtures: fresh stores in temp dirs and the real benchmark data."""

from __future__ import annotations

import hashlib
import os
from contextlib import contextmanager
from pathlib import Path

import pytest

# Two workers on two cores: each computes on one thread (PyTorch, ONNX Runtime, and the apps
# the browser tests start, which inherit it), or four threads spin for two cores. Set before
# anything imports PyTorch.
if os.environ.get("PYTEST_XDIST_WORKER"):
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    os.environ.setdefault("COT_EXPLORER_THREADS", "1")

from cot_explorer.importer import import_captions, import_knowledge, import_twitter
from cot_explorer.paths import data_dir
from cot_explorer.store import open_store


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / "home"


@pytest.fixture
def store(home: Path):
    with open_store(home) as s:
        yield s


@pytest.fixture(scope="session")
def data() -> Path:
    root = data_dir()
    if not (root / "twitter2017" / "train.txt").exists():
        pytest.fail(f"benchmark data not found at {root}; set COT_EXPLORER_DATA")
    return root


@pytest.fixture(scope="module")
def twitter2017_home(tmp_path_factory, data: Path) -> Path:
    """A store holding all of Twitter-2017 with knowledge and captions (built once per module)."""
    home = tmp_path_factory.mktemp("t17")
    with open_store(home) as s:
        for split in ("train", "valid", "test"):
            import_twitter(s, str(data / "twitter2017" / f"{split}.txt"), "twitter2017", split)
            import_knowledge(s, str(data / "knowledge/chatgpt-pgim/twitter2017" / f"{split}.txt"), "twitter2017", split)
        import_captions(s, str(data / "captions/blip2-twitter2017.txt"), "twitter2017")
    return home


def snapshot(home: Path) -> str:
    """A digest of everything the store holds (rows of every table, image files)."""
    h = hashlib.sha256()
    with open_store(home) as s:
        for line in s.conn.iterdump():
            h.update(line.encode())
    images = home / "images"
    if images.exists():
        for f in sorted(images.rglob("*")):
            h.update(str(f.relative_to(home)).encode())
    return h.hexdigest()


# A browser new to Annotate opens it where the team works (ui/common.team_split): in a suite
# whose tests save and import on other splits of one app, that moved with the tests run before.
# Each page of the tests starts as a browser that worked in the demo's split, unless it says
# otherwise (`raw` gives the browser as it is).
WORKED_IN_THE_DEMO = ("try { if (!localStorage.getItem('cot-explorer-filters') && !localStorage.getItem('cot-explorer-queue'))"
                      " localStorage.setItem('cot-explorer-queue', 'demo/test'); } catch (e) {}")


class _DemoBrowser:
    def __init__(self, raw):
        self.raw = raw

    def new_context(self, **kw):
        context = self.raw.new_context(**kw)
        context.add_init_script(WORKED_IN_THE_DEMO)
        return context

    def new_page(self, **kw):
        page = self.raw.new_page(**kw)
        page.context.add_init_script(WORKED_IN_THE_DEMO)
        return page

    def __getattr__(self, name):
        return getattr(self.raw, name)


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium, headless, driven by Playwright; one for the whole run."""
    from cot_explorer.devtools.harness import chromium

    with chromium() as b:
        yield _DemoBrowser(b)


@pytest.fixture(autouse=True)
def _pages_closed_after_each_test(request):
    """Every page a browser test opened is closed after it: a page left open keeps the app's
    page scripts and Gradio's connection running (7 % of a core each, a dozen at a time by the
    middle of the browser tests)."""
    yield
    if "browser" in request.fixturenames:
        for context in request.getfixturevalue("browser").contexts:
            context.close()


@pytest.fixture(scope="session")
def local_app():
    """`python app.py` as the README starts it, for a user whose home is outside /tmp and the
    checkout (the store lands in their user data folder); shared by the browser tests.
    Yields (url, store folder, Gradio's upload folder)."""
    import shutil

    from cot_explorer.devtools.harness import running_app, store_of, user_home

    user = user_home("browser")
    uploads = user / "gradio-uploads"
    try:
        with running_app(user, env={"GRADIO_TEMP_DIR": str(uploads)}) as url:
            yield url, store_of(user), uploads
    finally:
        shutil.rmtree(user, ignore_errors=True)


def two_pair_mnre_file(tmp_path: Path) -> Path:
    """An MNRE file of one post with two entity pairs (Obama → Paris: None, Obama → Michelle:
    /per/per/couple), as several tests import it."""
    line = ("{'token': ['Obama', 'visits', 'Paris', 'with', 'Michelle'], 'img_id': 'a.jpg', "
            "'h': {'name': 'Obama', 'pos': [0, 1]}, 't': {'name': '%s', 'pos': [%d, %d]}, 'relation': '%s'}\n")
    path = tmp_path / "m.txt"
    path.write_text(line % ("Paris", 2, 3, "None") + line % ("Michelle", 4, 5, "/per/per/couple"))
    return path


# One app with sign-in for test_access.py and test_browser_signed_in.py (an app's start is
# about 17 s of a suite near its 15-minute mark): every account either module signs in with
SIGNED_IN_USERS = ("ann:annotator:ann-pass,vic:viewer:vic-pass,adm:admin:adm-pass,ann1:annotator:ann1-pass,"
                   "ann2:annotator:ann2-pass,view:viewer:view-pass")


# in the signed-in app's users file, beside the accounts of the environment: an admin removes it
# (`cot-explorer users remove`) while its page is open
REMOVABLE_USER = ("leaver", "leaver-pass")


def users_file_of(user_home_dir: Path) -> Path:
    """The signed-in app's users file (the default place, under the app user's home)."""
    return user_home_dir / ".config" / "cot-explorer" / "users"


@pytest.fixture(scope="session")
def signed_in_app():
    with app_with_users("signed-in", SIGNED_IN_USERS, file_users=[REMOVABLE_USER]) as app:
        yield app


@contextmanager
def app_with_users(name: str, users: str, file_users: list[tuple[str, str]] = ()):
    """`python app.py` for people who sign in (`COT_EXPLORER_USERS`, name:role:password), in a
    user home of its own, removed after; yields (url, store folder). `file_users`: annotators
    (name, password) written with `cot-explorer users add` into the users file too."""
    import shutil
    import subprocess
    import sys

    from cot_explorer.devtools.harness import running_app, store_of, user_home

    user = user_home(name)
    try:
        for who, password in file_users:
            subprocess.run([sys.executable, "-m", "cot_explorer.cli", "users", "add", who, "--role", "annotator",
                            "--file", str(users_file_of(user)), "--password-stdin"], input=password + "\n",
                           text=True, check=True, capture_output=True)
        with running_app(user, env={"COT_EXPLORER_USERS": users}) as url:
            yield url, store_of(user)
    finally:
        shutil.rmtree(user, ignore_errors=True)
