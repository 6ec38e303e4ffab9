"""How many posts a viewer may have the student predict in an hour. A viewer (a Space's
visitor, who signs in as no one) could make the server predict whole splits with every model
version (Errors, or Annotate ordered by uncertainty): minutes of both cores each on a large
split, taken from everyone else. Answers already in the store cost nothing and are not
counted; annotators and admins are not limited. Visitors who have not signed in share one
allowance."""

from __future__ import annotations

import os
import threading
import time
from collections import deque
from typing import Callable, Mapping

from .errors import CotExplorerError

PER_HOUR_ENV = "COT_EXPLORER_VIEWER_PREDICTIONS_PER_HOUR"
HOUR_S = 3600.0


class PredictionsRefused(CotExplorerError):
    """More than a viewer's share of predictions this hour: said with what is left and when."""


class PredictBudget:
    def __init__(self, per_hour: int = 2000, clock: Callable[[], float] = time.monotonic):
        self.per_hour = per_hour
        self.clock = clock
        self._lock = threading.Lock()
        self._spent: dict[str, deque[tuple[float, int]]] = {}

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> "PredictBudget":
        env = os.environ if env is None else env
        raw = env.get(PER_HOUR_ENV)
        try:
            per_hour = int(raw) if raw is not None else cls().per_hour
        except ValueError:
            raise CotExplorerError(f"${PER_HOUR_ENV} must be a whole number of posts, not {raw!r}") from None
        if per_hour < 0:
            raise CotExplorerError(f"${PER_HOUR_ENV} must be 0 or more, not {per_hour}")
        return cls(per_hour)

    def charge(self, who: str, posts: int, others_may: bool = True) -> None:
        """Count `posts` about to be predicted for `who`, or refuse them all (none predicted).
        `others_may`: someone can sign in as an annotator or admin, who is not limited (on a
        Space without sign-in no one can: it is not offered)."""
        if posts <= 0:
            return
        with self._lock:
            now = self.clock()
            spent = self._spent.setdefault(who, deque())
            while spent and spent[0][0] <= now - HOUR_S:
                spent.popleft()
            used = sum(n for _, n in spent)
            left = max(0, self.per_hour - used)
            if posts > left:
                frees = (f"; {used:,} are counted this hour, the first of them freeing up in about "
                         f"{max(1, round((spent[0][0] + HOUR_S - now) / 60))} min" if spent else "")
                # more than a whole hour's allowance: waiting never makes it possible, said so
                # (a visitor waited to analyse Twitter-2017 train, which no hour would allow)
                never = (f" No hour allows it ({posts:,} is more than an hour's {self.per_hour:,}), so waiting will "
                         "not help." if posts > self.per_hour else "")
                raise PredictionsRefused(
                    f"this needs the student to predict {posts:,} posts, more than a viewer may have predicted in an "
                    f"hour ({self.per_hour:,}; {left:,} left{frees}).{never} Answers already in the store cost nothing: try "
                    "a smaller split, or a version whose answers are stored"
                    + (", or ask an annotator or admin, who is not limited." if others_may else "."))
            spent.append((now, posts))
