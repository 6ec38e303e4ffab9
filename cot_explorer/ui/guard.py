"""Every Gradio event goes through `guarded`: the caller's role is checked on the server,
in the handler, before any work (any HTTP client can call an event once it has the page),
and errors a user can cause become a sentence in a notice, never a traceback and never an
"Error" badge over what the page shows."""

from __future__ import annotations

import functools
import inspect
import logging
import typing

import gradio as gr

from ..access import AccessPolicy, Action, User, require
from ..errors import CotExplorerError
from .cancel import session_scope

log = logging.getLogger(__name__)


def guarded(policy: AccessPolicy, action: Action | None, fn: typing.Callable, *, quiet: bool = False):
    """A Gradio handler made from `fn(*inputs, user=User)`.

    The returned function takes the event's inputs (and any special parameter `fn` declares,
    such as `evt: gr.SelectData`), plus the request and the Hugging Face profile, which
    Gradio fills in from the session (never from the request body). `action` None: anyone.
    A refusal shows its sentence and leaves every output as it was (`gr.skip()`); `quiet`
    leaves out the notice (for events nobody clicks, such as a timer)."""
    hints = typing.get_type_hints(fn)
    sig = inspect.signature(fn)
    params = [p.replace(annotation=hints.get(p.name, p.annotation)) for p in sig.parameters.values() if p.name != "user"]
    # defaults for both, so that `fn` may end with a defaulted parameter (progress=gr.Progress())
    extra = [inspect.Parameter("request", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=gr.Request,
                               default=None),
             inspect.Parameter("profile", inspect.Parameter.POSITIONAL_OR_KEYWORD,
                               annotation=typing.Optional[gr.OAuthProfile], default=None)]

    @functools.wraps(fn)
    def handler(*args):
        *inputs, request, profile = args
        user = None
        try:
            user = current_user(policy, request, profile)   # refused for a user taken out meanwhile
            if action is not None:
                require(user, action)
            with session_scope(getattr(request, "session_hash", None)):
                return fn(*inputs, user=user)
        except CotExplorerError as e:
            # A sentence in a notice; the outputs keep what they showed (raising gr.Error would
            # put an "Error" badge over every output and hide what the user was looking at).
            log.info("refused for %s: %s", user.label if user else "a user no longer known", e)
            if not quiet:
                gr.Warning(str(e), duration=15)
            return gr.skip()

    handler.__signature__ = sig.replace(parameters=params + extra)
    handler.__annotations__ = {**{p.name: p.annotation for p in params}, "request": gr.Request,
                               "profile": typing.Optional[gr.OAuthProfile]}
    del handler.__wrapped__  # Gradio must read the signature above, not fn's
    return handler


def current_user(policy: AccessPolicy, request: gr.Request | None, profile) -> User:
    username = getattr(request, "username", None) if request is not None else None
    hf_username = getattr(profile, "username", None) if profile is not None else None
    return policy.user(username, hf_username)
