"""The page load opens the first post of the first queue in Annotate, after the load (it
predicts, so it takes a moment); a post the user opens meanwhile (picked in Explore, found by
search, a queue chosen) must not be replaced by it. A browser session is one page load, so
the rule is: the load's opening stands only if the user opened nothing in this session before
it was ready. Marks older than an hour are dropped, so the record stays small."""

from __future__ import annotations

import threading
import time

from .cancel import current_session

KEEP_S = 3600.0
_user_opens: dict[str, float] = {}
_lock = threading.Lock()


def user_opened() -> None:
    """A post was opened by the user in this session (called first by every such event)."""
    session = current_session()
    if session is None:
        return
    now = time.monotonic()
    with _lock:
        _user_opens[session] = now
        if len(_user_opens) > 1000:
            for s in [s for s, t in _user_opens.items() if now - t > KEEP_S]:
                del _user_opens[s]


def first_open_stands() -> bool:
    """True where the load's opening may show its post: the user opened nothing yet."""
    session = current_session()
    if session is None:
        return True
    with _lock:
        return session not in _user_opens
