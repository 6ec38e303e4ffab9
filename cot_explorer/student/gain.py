"""Which way a round's bootstrap interval lies, said alike by the job line and the Distill tab
(one wording was "the interval excludes zero", which did not say which way)."""

from __future__ import annotations


def gain_direction(interval: dict) -> str:
    """"gain" (the interval above zero), "loss" (below) or "unclear"; by its bounds, not its
    point value (a percentile interval need not hold the point)."""
    return "gain" if interval["low"] > 0 else "loss" if interval["high"] < 0 else "unclear"


def losses_said(result: dict) -> str:
    """The types (relations) a round's report shows a real loss on, worst first, in a sentence;
    "" where there is none. They were rows of the table alone, under a verdict on the overall
    F1 that may read "a real gain": a relation lost on held-out posts went unsaid."""
    losses = sorted(((t, g) for t, g in (result.get("gain") or {}).items() if t != "*" and gain_direction(g) == "loss"),
                    key=lambda tg: tg[1]["value"])
    if not losses:
        return ""
    what = "relation" if result.get("task") == "mre" else "type"
    named = "; ".join(f"{t} {g['value']:+.2f} F1 ({g['low']:+.2f} to {g['high']:+.2f})" for t, g in losses)
    return (f"A real loss on {len(losses)} {what}{'s' if len(losses) != 1 else ''} of the held-out posts (the "
            f"interval below zero): {named}.")


def likely_lower_said(result: dict, share: float = 0.8) -> str:
    """The types (relations) lower after the round in at least `share` of the resamples, though
    their interval still reaches zero: "no clear change" said nothing of ORG lower in 86 % of
    them, the type the team had corrected."""
    lower = sorted(((t, g) for t, g in (result.get("gain") or {}).items()
                    if t != "*" and gain_direction(g) == "unclear" and g["value"] < 0 and 1 - g["p_better"] >= share),
                   key=lambda tg: tg[1]["value"])
    if not lower:
        return ""
    named = "; ".join(f"{t} {g['value']:+.2f} F1 (lower in {100 * (1 - g['p_better']):.0f} % of resamples)"
                      for t, g in lower)
    return f"Lower, within noise: {named}."
