"""How much of Claude one person, and everyone together, may use from the app: a per-user
rate limit and a daily spending cap in dollars, counted from the recorded token costs."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Mapping

from .errors import CotExplorerError

PER_HOUR_ENV = "COT_EXPLORER_CLAUDE_PER_HOUR"
DAILY_USD_ENV = "COT_EXPLORER_CLAUDE_DAILY_USD"


class BudgetExceeded(CotExplorerError):
    """Past the rate limit or the daily cap: the panel says which, and when it frees up."""


@dataclass(frozen=True)
class AskBudget:
    per_user_per_hour: int = 20
    daily_usd: float = 2.0

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> "AskBudget":
        env = os.environ if env is None else env
        try:
            return cls(int(env.get(PER_HOUR_ENV, cls.per_user_per_hour)),
                       float(env.get(DAILY_USD_ENV, cls.daily_usd)))
        except ValueError as e:
            raise CotExplorerError(f"${PER_HOUR_ENV} must be a whole number and ${DAILY_USD_ENV} a number "
                                   "of dollars") from e

    @staticmethod
    def windows(now: datetime | None = None) -> tuple[str, str]:
        """(an hour ago, today's midnight UTC) as stored timestamps."""
        now = now or datetime.now(timezone.utc)
        midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
        return (now - timedelta(hours=1)).isoformat(timespec="microseconds"), midnight.isoformat(timespec="microseconds")
