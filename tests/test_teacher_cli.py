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


def test_a_split_that_repeats_another_s_posts_gets_the_answers_it_counts_as_cache_hits(tmp_path, data):
    """One file imported as valid and as test: teaching test said "20 cache hits" and attached
    nothing; Explore and the knowledge view showed no chain of thought on any test post."""
    from cot_explorer.store.knowledge import knowledge_for

    home, posts = tmp_path / "h", first_posts_file(data / "twitter2017/valid.txt", tmp_path / "t.txt", 6)
    with open_store(home) as s:
        import_twitter(s, str(posts), "t17mini", "valid")
        import_twitter(s, str(posts), "t17mini", "test")
    with FakeAnthropic() as fake:
        env = {"ANTHROPIC_API_KEY": "test-api-key-cli", "ANTHROPIC_BASE_URL": fake.url}
        first = run(["teach", "--dataset", "t17mini", "--split", "valid", "--json"], home, env)
        assert first.returncode == 0, first.stderr
        second = run(["teach", "--dataset", "t17mini", "--split", "test", "--json"], home, env)
        assert second.returncode == 0, second.stderr
        out = json.loads(second.stdout)
        assert out["calls"] == 0 and out["cache_hits"] == 6 and out["cost_usd"] == 0 and len(fake.requests) == 6
    with open_store(home) as s:
        test_ids = [r[0] for r in s.conn.execute("SELECT id FROM posts WHERE dataset = 't17mini' AND split = 'test'")]
        assert len(test_ids) == 6 and all(knowledge_for(s, pid) is not None for pid in test_ids)
        # each post's own row, the shared one costing nothing more
        assert s.conn.execute("SELECT count(*), sum(cost_usd) FROM teacher_outputs WHERE post_id LIKE 't17mini/test/%'"
                              ).fetchone() == (6, 0.0)
    stats = run(["stats", "--json"], home)
    assert stats.returncode == 0, stats.stderr
    test_split = next(x for x in json.loads(stats.stdout)["splits"] if (x["dataset"], x["split"]) == ("t17mini", "test"))
    assert test_split["posts_with_knowledge"] == 6


def test_teach_refuses_a_limit_under_one(tmp_path, data):
    """--limit -4 was read as "all but the last 4" (and spent), --limit 0 as "every post"."""
    home = tmp_path / "h"
    with open_store(home) as s:
        import_twitter(s, str(first_posts_file(data / "twitter2017/test.txt", tmp_path / "t.txt", 6)), "twitter2017", "test")
    with FakeAnthropic() as fake:
        env = {"ANTHROPIC_API_KEY": "test-api-key-cli", "ANTHROPIC_BASE_URL": fake.url}
        for bad in ("-4", "0"):
            r = run(["teach", "--dataset", "twitter2017", "--split", "test", "--limit", bad], home, env)
            assert r.returncode == 2 and "--limit must be 1 or more" in r.stderr, (bad, r.returncode, r.stderr)
        assert fake.requests == []


def test_the_recorded_teacher_says_the_knowledge_was_not_imported_and_how_to(tmp_path, data):
    """Real Twitter-2017 posts under another name read "only Twitter-2015/2017 posts have it"."""
    home = tmp_path / "h"
    with open_store(home) as s:
        import_twitter(s, str(first_posts_file(data / "twitter2017/valid.txt", tmp_path / "t.txt", 2)), "t17mini", "valid")
    r = run(["teach", "--teacher", "recorded", "--dataset", "t17mini", "--split", "valid"], home)
    assert r.returncode == 1
    assert "cot-explorer import knowledge FILE --dataset t17mini --split valid" in r.stderr, r.stderr


def test_a_batch_run_says_what_it_sent_and_each_check_while_it_waits(tmp_path, data):
    """A batch run read "0 calls" beside the tokens it spent, and said nothing while it waited."""
    home = tmp_path / "h"
    with open_store(home) as s:
        import_twitter(s, str(first_posts_file(data / "twitter2017/test.txt", tmp_path / "t.txt", 3)), "twitter2017", "test")
    with FakeAnthropic(batch_polls=2) as fake:
        env = {"ANTHROPIC_API_KEY": "test-api-key-cli", "ANTHROPIC_BASE_URL": fake.url}
        r = run(["teach", "--dataset", "twitter2017", "--split", "test", "--batch", "--poll-seconds", "0.01"], home, env)
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("3 posts: 3 requests in Message Batch msgbatch_1, 0 cache hits, 0 errors"), r.stdout
    assert "Message Batch msgbatch_1 (3 requests): in progress after 0 min" in r.stderr, r.stderr
