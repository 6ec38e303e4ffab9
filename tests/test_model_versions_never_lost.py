"""Model versions are never overwritten or lost: taken names are refused before any work,
automatic names are unique, a replace killed (-9) between any two steps leaves the previous
version loadable, exports never clobber, promoting keeps lineage."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from cot_explorer.cli import main
from cot_explorer.store import open_store
from cot_explorer.student.checkpoint import load_checkpoint, read_manifest, save_checkpoint
from cot_explorer.student.model_folders import NameTaken, recover
from cot_explorer.student.registry import Registry
from cot_explorer.student.train import train_student
from cot_explorer.uploads import add_upload

from .student_fixtures import make_tiny_backbone, toy_examples
from .test_student_training import cfg

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> Path:
    return make_tiny_backbone(tmp_path_factory.mktemp("backbone"))


@pytest.fixture(scope="module")
def trained(tiny):
    data = toy_examples(8)
    return train_student(cfg(tiny, epochs=1), data, data[:4], progress=False)


def test_an_existing_version_is_never_overwritten(trained, tmp_path):
    root = tmp_path / "models"
    save_checkpoint(root, "v1", trained.model, trained.config, trained.task.tags, {"note": "first"})
    with pytest.raises(NameTaken, match="never overwritten"):
        save_checkpoint(root, "v1", trained.model, trained.config, trained.task.tags, {"note": "second"})
    assert read_manifest(root / "v1").extra["note"] == "first"
    assert [p.name for p in root.iterdir()] == ["v1"]


def test_train_with_a_taken_name_is_refused_before_training(store, home, capsys):
    with open_store(home):
        pass
    (home / "models" / "taken").mkdir(parents=True)
    (home / "models" / "taken" / "manifest.json").write_text("{}")
    add_upload(store, "Obama visits Paris")
    assert main(["--home", str(home), "train", "--dataset", "uploads", "--name", "taken"]) == 2
    assert "exists; choose another name" in capsys.readouterr().err
    assert (home / "models" / "taken" / "manifest.json").read_text() == "{}"


def test_a_round_with_a_taken_name_is_refused_without_a_job(home, store):
    from cot_explorer.ui.distill import start_round

    (home / "models" / "mine").mkdir(parents=True)
    (home / "models" / "mine" / "manifest.json").write_text("{}")
    with pytest.raises(NameTaken):
        start_round(home, "demo", "mine", "distill", 1, 1.0)
    assert store.conn.execute("SELECT count(*) FROM jobs").fetchone()[0] == 0


def test_automatic_names_are_unique_within_one_second(store):
    registry = Registry(store)
    names = {registry.automatic_name("demo-round") for _ in range(50)}
    assert len(names) == 50
    assert all((store.home / "models" / f".reserved-{n}").exists() for n in names)


def test_a_name_reserved_by_a_running_training_is_refused(store):
    registry = Registry(store)
    registry.reserve("busy")
    with pytest.raises(NameTaken, match="still running"):
        Registry(store).reserve("busy")
    registry.release("busy")
    Registry(store).reserve("busy")


KILLER = textwrap.dedent("""
    # Replace the checkpoint root/v1 by a copy whose manifest says "second", as save_checkpoint
    # does (temporary folder, then publish), and SIGKILL this process at the given step.
    import json, os, shutil, signal, sys
    from pathlib import Path
    import cot_explorer.student.model_folders as mf
    root, kill_at = Path(sys.argv[1]), int(sys.argv[2])
    calls = {"n": 0}
    real_rename, real_rmtree = os.rename, mf.shutil.rmtree
    def dying_rename(a, b):
        calls["n"] += 1
        if calls["n"] == kill_at:
            os.kill(os.getpid(), signal.SIGKILL)
        real_rename(a, b)
    def dying_rmtree(p, **kw):
        if kill_at == 99:
            os.kill(os.getpid(), signal.SIGKILL)
        real_rmtree(p, **kw)
    tmp = mf.new_temp_folder(root, "v1")
    for f in (root / "v1").iterdir():
        shutil.copy(f, tmp / f.name)
    manifest = json.loads((tmp / "manifest.json").read_text())
    (tmp / "manifest.json").write_text(json.dumps({**manifest, "note": "second"}))
    mf.os.rename, mf.shutil.rmtree = dying_rename, dying_rmtree
    mf.publish(tmp, root, "v1", replace=True)
""")


# killed before the old version is moved aside / between the two renames / while deleting the old one
@pytest.mark.parametrize("kill_at", [1, 2, 99])
def test_a_replace_killed_at_any_step_leaves_a_loadable_version(trained, tmp_path, kill_at):
    root = tmp_path / "models"
    save_checkpoint(root, "v1", trained.model, trained.config, trained.task.tags, {"note": "first"})
    proc = subprocess.run([sys.executable, "-c", KILLER, str(root), str(kill_at)], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == -signal.SIGKILL, proc.stderr[-2000:]
    done = recover(root)  # what the app and the CLI run at start
    loaded = load_checkpoint(root / "v1")
    assert loaded.manifest.extra["note"] in ("first", "second")  # whichever it is, it loads whole
    if kill_at == 2:  # the old version was aside and the new one not yet in place: put back
        assert loaded.manifest.extra["note"] == "first" and any("restored v1" in d for d in done)
    assert sorted(p.name for p in root.iterdir()) == ["v1"]  # no temporary folder left


def test_export_never_writes_on_the_store_and_never_empties_a_file(home, store, tmp_path, capsys):
    add_upload(store, "Obama visits Paris")
    db = store.path
    before = db.read_bytes()
    assert main(["--home", str(home), "export", "jsonl", "--dataset", "uploads", "--out", str(db), "--force"]) == 2
    assert "store's own files" in capsys.readouterr().err and db.read_bytes() == before
    out = tmp_path / "out.jsonl"
    out.write_text("precious\n")
    assert main(["--home", str(home), "export", "jsonl", "--dataset", "uploads", "--out", str(out)]) == 2
    assert "--force" in capsys.readouterr().err and out.read_text() == "precious\n"
    # a failing export (no such dataset) leaves the existing file whole, even with --force
    assert main(["--home", str(home), "export", "jsonl", "--dataset", "nothing", "--out", str(out), "--force"]) == 2
    assert out.read_text() == "precious\n"
    assert main(["--home", str(home), "export", "jsonl", "--dataset", "uploads", "--out", str(out), "--force"]) == 0
    assert json.loads(out.read_text().splitlines()[0])["text"] == "Obama visits Paris"
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []  # no temporary file left


def test_promoting_keeps_the_parent(trained, store):
    root = store.home / "models"
    save_checkpoint(root, "parent-v", trained.model, trained.config, trained.task.tags)
    save_checkpoint(root, "child-v", trained.model, trained.config, trained.task.tags,
                    {"training": {"parent": "parent-v"}})
    registry = Registry(store)
    registry.register(root / "child-v", parent="parent-v")
    registry.promote("child-v")
    (parent,) = store.conn.execute("SELECT parent FROM model_versions WHERE name = 'child-v'").fetchone()
    assert parent == "parent-v"
    assert os.path.samefile(registry.default_path(), root / "child-v")
