"""Stopping long work a page started (the first predictions over a split), from another
event of the same page: the Stop button marks the browser session, the work checks the mark
between chunks and stops with a sentence; what it finished is kept.

The session is the Gradio session hash; `guarded` opens a scope for every event, so a
handler never passes it around."""

from __future__ import annotations

import threading
from contextlib import contextmanager
from contextvars import ContextVar

from ..errors import CotExplorerError

_session: ContextVar[str | None] = ContextVar("cot_explorer_session", default=None)
_stop_requested: dict[str, threading.Event] = {}
_lock = threading.Lock()


class Stopped(CotExplorerError):
    """The user stopped the work; the message says what was kept."""


@contextmanager
def session_scope(session: str | None):
    token = _session.set(session)
    try:
        yield
    finally:
        _session.reset(token)


def current_session() -> str | None:
    """The browser session of the event being handled (None outside an event)."""
    return _session.get()


def begin_work() -> None:
    """A new piece of long work in this session: an earlier Stop does not stop it."""
    session = _session.get()
    if session is not None:
        with _lock:
            _stop_requested.pop(session, None)


def request_stop(session: str | None) -> None:
    if session is not None:
        with _lock:
            _stop_requested.setdefault(session, threading.Event()).set()


def check_cancelled(kept: str) -> None:
    """Raise Stopped if this session asked to stop; `kept` says what is not lost."""
    session = _session.get()
    if session is None:
        return
    with _lock:
        flag = _stop_requested.get(session)
    if flag is not None and flag.is_set():
        with _lock:
            _stop_requested.pop(session, None)
        raise Stopped(f"stopped: {kept}")
