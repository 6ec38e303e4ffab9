import json

from cot_explorer.importer import import_knowledge, import_twitter
from cot_explorer.store import open_store

from .cli_runner import run_cli
from .fake_anthropic import FakeAnthropic
from .test_twitter_conll import first_posts_file


def run(args, home, env_extra=None):
    env = {"ANTHROPIC_API_KEY": None, "ANTHROPIC_BASE_URL": None, **(env_extra or {})}
    return run_cli(*args, home=home, env=env)


def test_teach_without_key_says_so_in_one_line(tmp_path, data):
    home = tmp_path / "h"
    with open_store(home) as s:
        import_twitter(s, str(first_posts_file(data / "twitter2017/test.txt", tmp_path / "t.txt", 3)), "twitter2017", "test")
    r = run(["teach", "--dataset", "twitter2017", "--split", "test"], home)
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and "ANTHROPIC_API_KEY" in r.stderr


def test_teach_twice_second_run_is_all_cache(tmp_path, data):
    home = tmp_path / "h"
    with open_store(home) as s:
        import_twitter(s, str(first_posts_file(data / "twitter2017/test.txt", tmp_path / "t.txt", 12)), "twitter2017", "test")
    with FakeAnthropic() as fake:
        env = {"ANTHROPIC_API_KEY": "test-api-key-cli", "ANTHROPIC_BASE_URL": fake.url}
        args = ["teach", "--dataset", "twitter2017", "--split", "test", "--json"]
        first = run(args, home, env)
        assert first.returncode == 0, first.stderr
        assert json.loads(first.stdout)["calls"] == 12 and "teach twitter2017/test" in first.stderr  # progress bar
        second = run(args, home, env)
        out = json.loads(second.stdout)
        assert out["calls"] == 0 and out["cache_hits"] == 12 and len(fake.requests) == 12


def test_recorded_teacher_needs_no_key_and_serves_the_recording(tmp_path, data):
    home = tmp_path / "h"
    with open_store(home) as s:
        import_twitter(s, str(data / "twitter2017/test.txt"), "twitter2017", "test")
        import_knowledge(s, str(data / "knowledge/chatgpt-pgim/twitter2017/test.txt"), "twitter2017", "test")
    r = run(["teach", "--teacher", "recorded", "--dataset", "twitter2017", "--split", "test", "--json"], home)
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["cache_hits"] == 723 and out["calls"] == 0 and out["errors"] == 0


def test_a_teach_run_with_failed_requests_exits_non_zero(tmp_path, data):
    """Every post without a recording failed, and the run still exited 0."""
    home = tmp_path / "h"
    with open_store(home) as s:
        import_twitter(s, str(data / "twitter2017/test.txt"), "twitter2017", "test")
    r = run(["teach", "--teacher", "recorded", "--dataset", "twitter2017", "--split", "test", "--limit", "3"], home)
    assert r.returncode == 1 and "error: 3 requests failed" in r.stderr, (r.returncode, r.stderr)
