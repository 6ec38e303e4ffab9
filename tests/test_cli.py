import json
import subprocess
import sys
from pathlib import Path

import pytest

from cot_explorer.store import open_store

from .cli_runner import run_cli
from .test_images import png_bytes


def cli(*args, home: Path | None = None, env_home: Path | None = None):
    return run_cli(*args, home=home, env={"COT_EXPLORER_HOME": str(env_home)} if env_home else None)


def test_the_installed_command_runs_as_a_subprocess(tmp_path):
    """The one test that starts `cot-explorer` as a user's shell does; the rest call main()."""
    home = tmp_path / "h"
    r = subprocess.run([sys.executable, "-m", "cot_explorer.cli", "--home", str(home), "add-post", "--text",
                        "Obama visits Paris"], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["tokens"] == ["Obama", "visits", "Paris"]
    r = subprocess.run([sys.executable, "-m", "cot_explorer.cli", "--home", str(home), "stats"],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0 and "uploads/user: 1 posts" in r.stdout


def test_app_py_help_says_how_it_is_set_and_starts_nothing(tmp_path):
    """`python app.py --help` started a server on the default store (it read no arguments), and
    a walker killed it by hand; an argument it does not take is refused, the store untouched."""
    app = Path(__file__).resolve().parents[1] / "app.py"
    env = {**__import__("os").environ, "COT_EXPLORER_HOME": str(tmp_path / "h")}
    r = subprocess.run([sys.executable, str(app), "--help"], capture_output=True, text=True, timeout=120, env=env)
    assert r.returncode == 0 and r.stdout.startswith("usage: python app.py") and "COT_EXPLORER_HOME" in r.stdout
    r = subprocess.run([sys.executable, str(app), "--port", "1"], capture_output=True, text=True, timeout=120, env=env)
    assert r.returncode != 0 and "app.py takes no arguments (got --port 1)" in r.stderr
    assert not (tmp_path / "h").exists()   # no demo imported, no store made


def test_import_stats_and_export_through_the_cli(tmp_path, data):
    home = tmp_path / "h"
    d = data
    for split in ("train", "valid", "test"):
        r = cli("import", "twitter", str(d / f"twitter2017/{split}.txt"), "--dataset", "twitter2017", "--split", split, home=home)
        assert r.returncode == 0, r.stderr
        r = cli("import", "knowledge", str(d / f"knowledge/chatgpt-pgim/twitter2017/{split}.txt"),
                "--dataset", "twitter2017", "--split", split, home=home)
        assert r.returncode == 0 and "aligned" in r.stdout
    assert cli("import", "captions", str(d / "captions/blip2-twitter2017.txt"), "--dataset", "twitter2017", home=home).returncode == 0
    assert cli("import", "mnre", str(d / "mnre/train.txt"), "--dataset", "mnre", "--split", "train", home=home).returncode == 0
    r = cli("stats", "--json", env_home=home)  # the environment variable finds the same store
    assert r.returncode == 0, r.stderr
    stats = {(s["dataset"], s["split"]): s for s in json.loads(r.stdout)["splits"]}
    assert {k: v["posts"] for k, v in stats.items()} == {
        ("mnre", "train"): stats[("mnre", "train")]["posts"], ("twitter2017", "test"): 723,
        ("twitter2017", "train"): 3373, ("twitter2017", "valid"): 723}
    assert stats[("mnre", "train")]["relations"] == 12247
    assert stats[("twitter2017", "train")]["spans_per_type"] == {"LOC": 731, "MISC": 701, "ORG": 1674, "PER": 2943}
    knowledge = sum(stats[("twitter2017", s)]["posts_with_knowledge"] for s in ("train", "valid", "test"))
    assert knowledge / (3373 + 723 + 723) >= 0.999
    assert stats[("twitter2017", "test")]["posts_with_caption"] == 723
    assert stats[("twitter2017", "test")]["corrected_posts"] == 0
    out = tmp_path / "test.conll"
    r = cli("export", "conll", "--dataset", "twitter2017", "--split", "test", "--out", str(out), home=home)
    assert r.returncode == 0 and "exported 723 posts" in r.stderr
    assert out.read_text() .split("\n")[:3] == (d / "twitter2017/test.txt").read_text().split("\n")[:3]
    # the teacher's entities, as the app marks them, where no label version came from the
    # teacher (every token was O, exit 0, with 723 teacher answers stored)
    teacher = tmp_path / "teacher.conll"
    r = cli("export", "conll", "--dataset", "twitter2017", "--split", "test", "--source", "teacher",
            "--out", str(teacher), home=home)
    assert r.returncode == 0, r.stderr
    tags = [line.split("\t")[1] for line in teacher.read_text().splitlines() if "\t" in line]
    gold = [line.split("\t")[1] for line in out.read_text().splitlines() if "\t" in line]
    assert len(tags) == len(gold) and sum(t != "O" for t in tags) > 0.5 * sum(g != "O" for g in gold)
    agree = sum(t == g for t, g in zip(tags, gold) if g != "O") / sum(g != "O" for g in gold)
    assert agree > 0.5, agree   # the teacher is right about most entities: not tags placed anywhere
    # the student's, with none stored: refused in a sentence, no file left (it was all O)
    student = tmp_path / "student.conll"
    r = cli("export", "conll", "--dataset", "twitter2017", "--split", "test", "--source", "student",
            "--out", str(student), home=home)
    assert r.returncode == 2 and "no post of twitter2017/test has student labels or stored student predictions" in r.stderr
    assert "Traceback" not in r.stderr and not student.exists()


def test_user_errors_are_one_clear_line_and_exit_2(tmp_path):
    home = tmp_path / "h"
    bad = tmp_path / "bad.txt"
    bad.write_text("IMGID:1\nObama\tB-PERSON\n")
    r = cli("import", "twitter", str(bad), "--dataset", "d", "--split", "s", home=home)
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert r.stderr.startswith("error: ") and "bad.txt:2: expected a tag among" in r.stderr
    r = cli("import", "twitter", str(tmp_path / "missing.txt"), "--dataset", "d", "--split", "s", home=home)
    assert r.returncode == 2 and "a readable file" in r.stderr
    r = cli("import", "twitter", str(bad), home=home)
    assert r.returncode == 2 and "needs --dataset and --split" in r.stderr
    fake = tmp_path / "cat.jpg"
    fake.write_text("meow")
    r = cli("add-post", "--text", "my cat", "--image", str(fake), home=home)
    assert r.returncode == 2 and "not an image" in r.stderr
    r = cli("add-post", "--text", "my cat", "--image", str(tmp_path / "gone" / "cat.jpg"), home=home)
    assert r.returncode == 2 and f"{tmp_path / 'gone' / 'cat.jpg'}: cannot read the file" in r.stderr   # its folder too
    with open_store(home) as s:
        assert s.conn.execute("SELECT count(*) FROM posts").fetchone()[0] == 0


def test_train_says_which_datasets_and_splits_there_are_and_refuses_zero_epochs(tmp_path, data):
    """A mistyped dataset read "needs entity labels in both 'train' and 'valid'"; `--epochs 0`
    saved an untrained model, listed with F1 -1 and promotable."""
    home = tmp_path / "h"
    assert cli("import", "twitter", str(data / "twitter2017/test.txt"), "--dataset", "t17", "--split", "test",
               home=home).returncode == 0
    r = cli("train", "--dataset", "twiter2017", "--name", "x", home=home)
    assert r.returncode == 2 and r.stderr == "error: no dataset 'twiter2017' in this store (its datasets: t17)\n"
    r = cli("train", "--dataset", "t17", "--name", "x", home=home)
    assert r.returncode == 2 and "(its splits: test); import the missing one, or name others with --train-split" in r.stderr
    r = cli("train", "--dataset", "t17", "--name", "x", "--epochs", "0", "--train-split", "test",
            "--valid-split", "test", home=home)
    assert r.returncode == 2 and "epochs and batch size must be at least 1" in r.stderr
    assert not (home / "models" / "x").exists()
    # refused before training only: a version saved with 0 epochs before this check still loads
    from cot_explorer.student.config import TrainConfig

    assert TrainConfig.from_json({"epochs": 0}).epochs == 0


def test_a_file_imported_as_another_format_is_told_which_it_is(tmp_path, data):
    """A Twitter file imported as MNRE listed 99 bad line numbers; the command that reads it is
    named instead."""
    home = tmp_path / "h"
    t17, mnre = data / "twitter2017/valid.txt", data / "mnre/valid.txt"
    r = cli("import", "mnre", str(t17), "--dataset", "d", "--split", "valid", home=home)
    assert r.returncode == 2 and r.stderr == (f"error: {t17} reads as a Twitter CoNLL file (its first line), not an "
                                              f"MNRE file: `cot-explorer import twitter {t17} …`\n")
    r = cli("import", "twitter", str(mnre), "--dataset", "d", "--split", "valid", home=home)
    assert r.returncode == 2 and "reads as an MNRE file (its first line), not a Twitter CoNLL file" in r.stderr
    with open_store(home) as s:
        assert s.conn.execute("SELECT count(*) FROM posts").fetchone() == (0,)


def test_an_export_read_only_in_part_ends_quietly(tmp_path, data):
    """`export … | head -2` printed "error: : Broken pipe": the reader stopping is no error of the
    export's, and is not said."""
    home = tmp_path / "h"
    assert cli("import", "twitter", str(data / "twitter2017/test.txt"), "--dataset", "t17", "--split", "test",
               home=home).returncode == 0
    export = subprocess.Popen([sys.executable, "-m", "cot_explorer.cli", "--home", str(home), "export", "conll",
                               "--dataset", "t17", "--split", "test", "--source", "gold"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    first = export.stdout.readline()
    export.stdout.close()   # as `head -1` does
    _, err = export.communicate(timeout=120)
    assert first.startswith(b"IMGID:") and err == b"" and export.returncode == 141


def test_add_post_prints_tokens_and_offsets(tmp_path):
    img = tmp_path / "p.png"
    img.write_bytes(png_bytes())
    r = cli("add-post", "--text", "Hi @bob \U0001F44B\U0001F3FD #yay", "--image", str(img), home=tmp_path / "h")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["tokens"] == ["Hi", "@bob", "\U0001F44B\U0001F3FD", "#yay"] and out["offsets"][3] == [11, 15]
    assert out["image_sha256"]


def test_default_home_is_outside_the_package(monkeypatch):
    import cot_explorer
    from cot_explorer.paths import resolve_home
    monkeypatch.delenv("COT_EXPLORER_HOME", raising=False)
    home = resolve_home()
    assert Path(cot_explorer.__file__).parent not in home.parents and "cot-explorer" in str(home)
    monkeypatch.setenv("COT_EXPLORER_HOME", "/tmp/x-home")
    assert resolve_home() == Path("/tmp/x-home") and resolve_home("/tmp/y") == Path("/tmp/y")


def test_the_student_s_stored_predictions_are_exported_where_it_saved_no_labels(tmp_path, data):
    """Errors and Annotate store the default student's predictions; an export of the student's
    labels wrote every token O beside them."""
    from cot_explorer.store import open_store
    from cot_explorer.store.posts import list_posts
    from cot_explorer.store.predictions import put_spans
    from cot_explorer.student.registry import Registry

    home = tmp_path / "h"
    assert cli("import", "twitter", str(data / "twitter2017/test.txt"), "--dataset", "t17", "--split", "test",
               home=home).returncode == 0
    with open_store(home) as s:
        registry = Registry(s)
        name = registry.register(registry.default_path("mner"))
        posts = list_posts(s, "t17", "test")[:2]
        put_spans(s, name, [(posts[0].id, [(0, 1, "PER", 0.9)]), (posts[1].id, [])])
    out = tmp_path / "student.conll"
    r = cli("export", "conll", "--dataset", "t17", "--split", "test", "--source", "student", "--out", str(out),
            home=home)
    assert r.returncode == 0 and "exported 2 posts, those with student labels" in r.stderr and "the other 721 left out" in r.stderr, r.stderr
    blocks = out.read_text().split("\n\n")
    assert len([b for b in blocks if b.strip()]) == 2   # the posts it read, not all 723 (the rest all O)
    assert blocks[0].splitlines()[1].endswith("\tB-PER") and all(not ln.endswith("-PER") for ln in blocks[0].splitlines()[2:])
    assert all(ln.endswith("\tO") for ln in blocks[1].splitlines()[1:])
    # in the dataset's own type names: Twitter-2015 calls MISC OTHER (B-MISC is no tag of it)
    assert cli("import", "twitter", str(data / "twitter2015/valid.txt"), "--repair-bio", "--dataset", "twitter2015", "--split", "valid",
               home=home).returncode == 0
    with open_store(home) as s:
        first = list_posts(s, "twitter2015", "valid")[0]
        put_spans(s, name, [(first.id, [(0, 1, "MISC", 0.9)])])
    t15 = tmp_path / "t15.conll"
    assert cli("export", "conll", "--dataset", "twitter2015", "--split", "valid", "--source", "student", "--out", str(t15),
               home=home).returncode == 0
    assert t15.read_text().split("\n\n")[0].splitlines()[1].endswith("\tB-OTHER")


def test_a_conll_export_of_posts_without_entity_labels_says_every_word_is_o_and_where_relations_are(tmp_path):
    """A gold CoNLL export of an MNRE split read "11 without gold labels, written as O": a file
    of O's that looked like real labels, and no word that its relations are not in it."""
    from .conftest import two_pair_mnre_file

    home = tmp_path / "h"
    assert cli("import", "mnre", str(two_pair_mnre_file(tmp_path)), "--dataset", "m", "--split", "valid",
               home=home).returncode == 0
    r = cli("export", "conll", "--dataset", "m", "--split", "valid", "--out", str(tmp_path / "m.conll"), home=home)
    assert r.returncode == 0, r.stderr
    assert "none has gold labels, so every word is written O" in r.stderr, r.stderr
    assert "the relations of 1 post are not in a CoNLL file (export JSONL for them)" in r.stderr


def test_an_export_replacing_a_file_keeps_its_mode_and_a_device_stays_a_device(tmp_path):
    """Written to a temporary file renamed into place: a private file became world-readable,
    and /dev/null was replaced by a plain file (as root) or refused (as anyone else)."""
    import os
    import stat

    home = tmp_path / "h"
    tiny = tmp_path / "tiny.txt"
    tiny.write_text("IMGID:1\nObama\tB-PER\nvisits\tO\n\n")
    assert cli("import", "twitter", str(tiny), "--dataset", "demo", "--split", "test", home=home).returncode == 0
    out = tmp_path / "mine.jsonl"
    out.write_text("old\n")
    out.chmod(0o600)
    r = cli("export", "jsonl", "--dataset", "demo", "--out", str(out), "--force", home=home)
    assert r.returncode == 0, r.stderr
    assert stat.S_IMODE(out.stat().st_mode) == 0o600 and "IMGID" not in out.read_text() and out.read_text() != "old\n"
    fresh = tmp_path / "fresh.jsonl"
    assert cli("export", "jsonl", "--dataset", "demo", "--out", str(fresh), home=home).returncode == 0
    umask = os.umask(0o022)
    os.umask(umask)
    assert stat.S_IMODE(fresh.stat().st_mode) == 0o666 & ~umask
    assert cli("export", "jsonl", "--dataset", "demo", "--out", "/dev/null", "--force", home=home).returncode == 0
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)


def test_every_subcommand_s_help_ends_with_examples_that_parse(capsys):
    """The --help pages had no examples (a researcher scripting it guessed at the flags)."""
    import shlex

    from cot_explorer.cli import EXAMPLES, build_parser

    parser = build_parser()
    for name, examples in EXAMPLES.items():
        with pytest.raises(SystemExit):
            parser.parse_args([name, "--help"])
        shown = capsys.readouterr().out
        assert shown.rstrip().endswith(examples[-1]) and "examples:" in shown, name
        for example in examples:
            words = shlex.split(example.split("|")[-1])
            assert words[0] == "cot-explorer" and words[1] == name, example
            parser.parse_args(words[1:])   # exits, and fails the test, on anything it does not know


def test_every_option_and_argument_says_what_it_is_for():
    """Half of train's and teach's options had no help of their own (--lam, --knowledge-budget:
    a reader had to find the source to know what they set, or their defaults)."""
    import argparse

    from cot_explorer.cli import build_parser

    def without_help(parser, path):
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for name, sub in action.choices.items():
                    yield from without_help(sub, [*path, name])
            elif not isinstance(action, (argparse._HelpAction, argparse._VersionAction)) and not action.help:
                yield " ".join([*path, *(action.option_strings[:1] or [action.dest])])

    assert list(without_help(build_parser(), ["cot-explorer"])) == []


def test_a_labelled_file_s_format_is_told_from_its_first_line(tmp_path, data):
    from cot_explorer.datasets.sniff import labelled_file_format
    from cot_explorer.errors import ParseError

    assert labelled_file_format(data / "twitter2015/valid.txt") == "twitter"
    assert labelled_file_format(data / "mnre/valid.txt") == "mnre"
    crlf = tmp_path / "crlf.txt"
    crlf.write_bytes(b"\xef\xbb\xbf\r\nIMGID:1\r\nParis\tB-LOC\r\n")
    assert labelled_file_format(crlf) == "twitter"
    bad = tmp_path / "tags.txt"
    bad.write_text("\nParis\tB-LOC\n", encoding="utf-8")
    with pytest.raises(ParseError, match=r"tags.txt:2: expected a Twitter CoNLL post .*--format"):
        labelled_file_format(bad)
    said = cli("evaluate", "--data", str(bad), home=tmp_path / "h")
    assert said.returncode != 0 and "name the format with --format" in said.stderr and "Traceback" not in said.stderr
