"""Stopping long work a page started (the first predictions over a split), from another
event of the same page: the Stop button marks the browser session, the work checks the mark
between chunks and stops with a sentence; what it finished is kept.

The session is the Gradio session hash; `guarded` opens a scope for every event, so a
handler never passes it around."""

from __future__ import annotations

import threading
import time
from contextlib import contextmanager
from contextvars import ContextVar

from ..errors import CotExplorerError

_session: ContextVar[str | None] = ContextVar("cot_explorer_session", default=None)
_work_began: ContextVar[float | None] = ContextVar("cot_explorer_work_began", default=None)
_stop_requested: dict[str, float] = {}   # session -> when Stop was pressed
_announced: dict[str, float] = {}        # session -> when the page put Stop on show for work to come
_lock = threading.Lock()
KEEP_S = 3600.0


class Stopped(CotExplorerError):
    """The user stopped the work; the message says what was kept."""


@contextmanager
def session_scope(session: str | None):
    """One event of one browser session: its work has not begun yet."""
    token, began = _session.set(session), _work_began.set(None)
    try:
        yield
    finally:
        _work_began.reset(began)
        _session.reset(token)


def current_session() -> str | None:
    """The browser session of the event being handled (None outside an event)."""
    return _session.get()


def announce_work(session: str | None) -> None:
    """The page puts Stop on show for work that has not begun yet (its event waits for the one
    before it, or for a free worker): a Stop pressed from now on stops that work as it begins.
    Pressed there, it was taken for a Stop of nothing, and the whole split was predicted."""
    if session is None:
        return
    with _lock:
        _announced[session] = time.monotonic()
        if len(_announced) > 1000:   # sessions long gone
            now = time.monotonic()
            for s in [s for s, t in _announced.items() if now - t > KEEP_S]:
                del _announced[s]


def begin_work() -> None:
    """Long work starts in this event: a Stop pressed from now on, or since the page announced
    this work (`announce_work`), stops it; one pressed earlier (while nothing ran, or for
    earlier work) never does. Work that never calls this (a single post, a promote) is never
    stopped."""
    now, session = time.monotonic(), _session.get()
    with _lock:
        announced = _announced.pop(session, None) if session is not None else None
    _work_began.set(announced if announced is not None and now - announced < KEEP_S else now)


def request_stop(session: str | None) -> None:
    if session is None:
        return
    now = time.monotonic()
    with _lock:
        _stop_requested[session] = now
        if len(_stop_requested) > 1000:  # sessions long gone
            for s in [s for s, t in _stop_requested.items() if now - t > KEEP_S]:
                del _stop_requested[s]


def check_cancelled(kept: str) -> None:
    """Raise Stopped if this session pressed Stop since its work began; `kept` says what is not lost."""
    session, began = _session.get(), _work_began.get()
    if session is None or began is None:
        return
    with _lock:
        pressed = _stop_requested.get(session)
        if pressed is None or pressed <= began:
            return
        del _stop_requested[session]
    raise Stopped(f"stopped: {kept}")
