"""Asking Claude from the app: a per-user rate limit, a daily cap in dollars from the recorded
token costs, and a key that a hostile endpoint echoes back (whole or in part) never stored
or logged. Against the fake Messages API on loopback, with the real SDK."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

import pytest

from cot_explorer.ask_budget import AskBudget, BudgetExceeded
from cot_explorer.store import open_store
from cot_explorer.store.teacher_outputs import outputs_for_post
from cot_explorer.teacher.secrets_scrub import MIN_PREFIX, scrub
from cot_explorer.ui.explore import ask_teacher
from cot_explorer.uploads import add_upload

from .conftest import two_pair_mnre_file
from .fake_anthropic import FakeAnthropic

KEY = "test-key-for-the-fake-api-0123456789abcdef"  # a fake; never a real key in the tree


@pytest.fixture
def fake(monkeypatch):
    with FakeAnthropic() as f:
        monkeypatch.setenv("ANTHROPIC_API_KEY", KEY)
        monkeypatch.setenv("ANTHROPIC_BASE_URL", f.url)
        yield f


@pytest.fixture
def post_id(home):
    with open_store(home) as s:
        return add_upload(s, "Obama visits Paris with Macron").id


def uploads(home, *texts: str) -> list[str]:
    with open_store(home) as s:
        return [add_upload(s, t).id for t in texts]


def test_each_user_has_an_hourly_limit(fake, home, post_id):
    budget = AskBudget(per_user_per_hour=2, daily_usd=100.0)
    second, third, fourth = uploads(home, "Merkel meets Macron in Berlin", "Messi scores in Madrid",
                                    "Trump visits London")
    ask_teacher(home, post_id, "ann", budget)
    ask_teacher(home, second, "ann", budget)
    with open_store(home) as s:
        (first,) = s.conn.execute("SELECT min(created_at) FROM teacher_requests WHERE user = 'ann'").fetchone()
    frees = (datetime.fromisoformat(first) + timedelta(hours=1)).strftime("%H:%M UTC")
    with pytest.raises(BudgetExceeded, match=rf"you have asked Claude 2 times in the last hour, the most allowed "
                                             rf"\(2 an hour\); you may ask again in (60|59) min \(at {frees}\)"):
        ask_teacher(home, third, "ann", budget)
    ask_teacher(home, third, "bob", budget)  # another user is not held back
    assert len(fake.requests) == 3
    with pytest.raises(BudgetExceeded, match="asking Claude is turned off on this app"):   # a limit of 0: said
        ask_teacher(home, fourth, "cat", AskBudget(per_user_per_hour=0, daily_usd=100.0))
    assert len(fake.requests) == 3


def test_answers_stored_already_are_shown_not_bought_again(fake, home, post_id, tmp_path):
    """A second press of Ask on a post Claude had answered sent its 1 + N requests again, paid,
    and the store kept the first answers; an upload of the same words paid for an answer that
    was never shown on it."""
    from cot_explorer.importer import import_mnre, import_twitter
    from cot_explorer.store.knowledge import knowledge_for

    budget = AskBudget(per_user_per_hour=1, daily_usd=100.0)
    ask_teacher(home, post_id, "ann", budget)
    assert len(fake.requests) == 1
    again = ask_teacher(home, post_id, "ann", budget)   # within the hour's one ask: nothing is asked
    assert len(fake.requests) == 1 and "stored already" in again.said and "nothing was asked or spent" in again.said
    assert "Obama" in again.cot
    # one file imported as two splits: a post of each, the answer about the first shown on the second
    path = tmp_path / "obama.txt"
    path.write_text("IMGID:1\nObama\tB-PER\nvisits\tO\nParis\tB-LOC\nwith\tO\nMacron\tB-PER\n\n")
    with open_store(home) as s:
        import_twitter(s, str(path), "tw", "valid")
        import_twitter(s, str(path), "tw", "test")
    ask_teacher(home, "tw/valid/1", "bob", budget)
    assert len(fake.requests) == 2
    with open_store(home) as s:
        assert knowledge_for(s, "tw/test/1") is None
    shown = ask_teacher(home, "tw/test/1", "bob", budget)
    assert len(fake.requests) == 2 and "stored already" in shown.said
    with open_store(home) as s:
        assert knowledge_for(s, "tw/test/1") is not None
    # an MNRE post: the post's answer and each pair's, asked once each, then all stored
    with open_store(home) as s:
        import_mnre(s, str(two_pair_mnre_file(tmp_path)), "mnre", "test")
    steps = []
    ask_teacher(home, "mnre/test/a", "cat", budget, lambda i, n, what: steps.append((i, n, what)))
    assert len(fake.requests) == 5 and [(i, n) for i, n, _ in steps] == [(0, 3), (1, 3), (2, 3)]
    assert steps[0][2] == "the post" and steps[1][2].startswith("entity pair ")
    assert "3 answers about this post were stored already" in ask_teacher(home, "mnre/test/a", "cat", budget).said
    assert len(fake.requests) == 5


def test_the_daily_cap_counts_recorded_costs(fake, home, post_id):
    budget = AskBudget(per_user_per_hour=100, daily_usd=0.0005)
    ask_teacher(home, post_id, "ann", budget)  # 120 + 80 tokens at Sonnet's price: about $0.001
    (other,) = uploads(home, "Merkel meets Macron in Berlin")
    with pytest.raises(BudgetExceeded, match="today's budget for Claude is spent"):
        ask_teacher(home, other, "bob", budget)
    assert len(fake.requests) == 1


def test_the_daily_cap_holds_between_the_calls_of_one_ask(fake, home, tmp_path):
    """An MNRE post asks once for the post and once per entity pair: the cap is checked before
    each call, so one click cannot spend far past it."""
    from cot_explorer.importer import import_mnre

    path = two_pair_mnre_file(tmp_path)
    with open_store(home) as s:
        import_mnre(s, str(path), "mnre", "test")
    shown = ask_teacher(home, "mnre/test/a", "ann", AskBudget(per_user_per_hour=100, daily_usd=0.0005))
    assert len(fake.requests) == 1 and "ran out after 1 of the 3 answers asked for" in shown.said
    again = ask_teacher(home, "mnre/test/a", "bob", AskBudget(per_user_per_hour=100, daily_usd=100.0))
    assert len(fake.requests) == 1 + 2  # with room: both pairs (the post's answer is stored)
    assert "1 of the 3 answers were stored already" in again.said


def test_scrub_removes_any_leading_run_of_twelve_or_more_characters():
    assert scrub(f"x {KEY} y", KEY) == "x [key] y"
    assert scrub(f"x {KEY[:MIN_PREFIX]}zz", KEY) == "x [key]zz"
    assert scrub(f"x {KEY[:MIN_PREFIX - 1]}", KEY) == f"x {KEY[:MIN_PREFIX - 1]}"


def test_a_key_echoed_back_is_scrubbed_from_errors_answers_and_logs(fake, home, post_id, caplog):
    budget = AskBudget(per_user_per_hour=100, daily_usd=100.0)
    caplog.set_level(logging.DEBUG)
    prefix = KEY[:MIN_PREFIX]
    fake.script.extend(["echo_key_error"])
    ask_teacher(home, post_id, "ann", budget)
    with open_store(home) as s:
        (error,) = outputs_for_post(s, post_id)
        assert error.status == "error" and "[key]" in error.error
        assert prefix not in "\n".join(s.conn.iterdump())
    fake.script.extend(["echo_key_answer"])
    ask_teacher(home, post_id, "ann", budget)  # the answer replaces the cached error
    with open_store(home) as s:
        (answer,) = outputs_for_post(s, post_id)
        assert answer.status == "ok" and "[key]" in answer.raw and "[key]" in answer.text
        assert all("[key]" in e.rationale for e in answer.entities)
        assert prefix not in "\n".join(s.conn.iterdump())
    # whatever the SDK (or anything else) logs about it is scrubbed too, exceptions included
    logging.getLogger("anthropic._base_client").warning("response quoted %s", KEY[:20])
    try:
        raise RuntimeError(f"upstream said {KEY}")
    except RuntimeError:
        logging.getLogger("httpx").exception("failed")
    leaked = [line for line in caplog.text.splitlines() if prefix in line]
    assert leaked == [] and "response quoted [key]" in caplog.text and "upstream said [key]" in caplog.text  # the SDK logged the echoed error


def test_a_failed_ask_is_said_above_the_chain_of_thought_the_post_already_had(fake, home, post_id):
    """A demo post carries the recorded teacher's chain of thought: a failed ask showed it
    unchanged, and a walker took it for Claude's answer."""
    from cot_explorer.ui.demo import ensure_demo

    ensure_demo(home)
    with open_store(home) as s:
        (demo_post,) = s.conn.execute("SELECT id FROM posts WHERE dataset = 'demo' ORDER BY position LIMIT 1").fetchone()
    budget = AskBudget(per_user_per_hour=100, daily_usd=100.0)
    fake.script.extend(["malformed", "malformed"])
    shown = ask_teacher(home, demo_post, "ann", budget)
    assert shown.said.startswith("**Asking Claude failed:** Claude answered twice, and neither answer had the form "
                                 "the app asks for (detail: answer did not fit the schema twice")
    assert shown.said.endswith("Shown below: the chain of thought the post already had.")
    assert shown.cot.startswith("**Teacher:** chatgpt")   # the recorded teacher's, as before the ask
    # a post with none: the failure is said once, in words, with the SDK's detail after them
    fake.script.extend(["echo_key_error"])
    shown = ask_teacher(home, post_id, "ann", budget)
    assert shown.said.startswith("**Asking Claude failed:** Claude refused the request as malformed (detail: "
                                 "BadRequestError 400")
    assert shown.cot.startswith("No teacher knowledge for this post yet")
    fake.script.clear()
    answered = ask_teacher(home, demo_post, "ann", budget)   # the next ask, answered
    assert answered.said == "" and answered.cot.startswith("**Teacher:** anthropic")
    # the recorded teacher's chain of thought stays readable, folded under Claude's, in Explore
    # and in Annotate (Claude's answer hid the one it could be compared with)
    assert "— the newest, the one the student learns from" in answered.cot
    folded = answered.cot.split('<details class="cot-earlier">', 1)[1]
    assert folded.startswith("<summary>chatgpt-pgim (gpt-3.5-turbo (recorded by PGIM)) wrote about this post too") and "**Noun grain: what each" in folded and folded.endswith("</details>")
    from cot_explorer.ui.annotate import context
    from cot_explorer.ui.explore import explore
    assert explore(home, demo_post).cot == answered.cot == context(home, demo_post)[2]
    assert "<details" not in explore(home, post_id).cot   # one teacher (none here): nothing folded
