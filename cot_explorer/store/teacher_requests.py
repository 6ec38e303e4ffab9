"""Live-teacher requests per user: what the rate limit and the daily spending cap count."""

from __future__ import annotations

import math
from datetime import datetime, timedelta, timezone

from .core import Store, utc_now


def begin_request(store: Store, user: str, post_id: str, since_hour: str, since_day: str,
                  per_hour: int, daily_usd: float) -> tuple[int | None, str | None]:
    """Check the limits and record a pending request in one transaction (two tabs cannot both
    take the last slot). Returns (request id, None), or (None, why it is refused)."""
    with store.write():
        (recent,) = store.conn.execute(
            "SELECT count(*) FROM teacher_requests WHERE user = ? AND created_at >= ?", (user, since_hour)).fetchone()
        if per_hour < 1:   # no row frees a slot: said, not a TypeError
            return None, "asking Claude is turned off on this app (its hourly limit per user is 0)"
        if recent >= per_hour:
            # the next ask is allowed once enough of the hour's asks are an hour old
            (oldest,) = store.conn.execute(
                "SELECT created_at FROM teacher_requests WHERE user = ? AND created_at >= ? ORDER BY created_at "
                "LIMIT 1 OFFSET ?", (user, since_hour, recent - per_hour)).fetchone()
            frees = datetime.fromisoformat(oldest) + timedelta(hours=1)
            minutes = max(1, math.ceil((frees - datetime.now(timezone.utc)).total_seconds() / 60))
            return None, (f"you have asked Claude {recent} times in the last hour, the most allowed ({per_hour} an "
                          f"hour); you may ask again in {minutes} min (at {frees.strftime('%H:%M')} UTC)")
        (spent,) = store.conn.execute(
            "SELECT coalesce(sum(cost_usd), 0) FROM teacher_requests WHERE created_at >= ?", (since_day,)).fetchone()
        if spent >= daily_usd:
            return None, (f"today's budget for Claude is spent (${spent:.2f} of ${daily_usd:.2f}, from the "
                          "recorded token costs); it resets at midnight UTC")
        rid = store.db["teacher_requests"].insert({"user": user, "post_id": post_id, "status": "pending",
                                                   "cost_usd": 0.0, "created_at": utc_now()}).last_pk
    return rid, None


def spent_since(store: Store, since_day: str) -> float:
    """Dollars the live teacher has cost since `since_day` (every user), from the recorded costs."""
    (spent,) = store.conn.execute(
        "SELECT coalesce(sum(cost_usd), 0) FROM teacher_requests WHERE created_at >= ?", (since_day,)).fetchone()
    return float(spent)


def finish_request(store: Store, request_id: int, ok: bool, cost_usd: float) -> None:
    with store.write():
        store.conn.execute("UPDATE teacher_requests SET status = ?, cost_usd = ? WHERE id = ?",
                           ("ok" if ok else "error", cost_usd, request_id))
