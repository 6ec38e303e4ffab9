"""Which way a round's bootstrap interval lies, said alike by the job line and the Distill tab
(one wording was "the interval excludes zero", which did not say which way)."""

from __future__ import annotations


def gain_direction(interval: dict) -> str:
    """"gain" (the interval above zero), "loss" (below) or "unclear"; by its bounds, not its
    point value (a percentile interval need not hold the point)."""
    return "gain" if interval["low"] > 0 else "loss" if interval["high"] < 0 else "unclear"
