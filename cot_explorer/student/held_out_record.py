"""What the rounds recorded of a version against the default on its dataset's held-out posts,
for the CLI's promote: the app scores both versions there before promoting; the CLI read the
version's own round alone, so a version continued from another (not from the default) was
promoted with no word, after its round had said "a real loss: do not promote it"."""

from __future__ import annotations

from .manifest import Manifest
from .registry import Registry


def held_out_f1(manifest: Manifest) -> float | None:
    return (manifest.metrics.get("held_out") or {}).get("f1")


def _same_posts(a: Manifest, b: Manifest) -> bool:
    """Scored on one held-out set: the same dataset, its set as fixed (a set chosen again is another)."""
    return (a.data.get("dataset") is not None and a.data.get("dataset") == b.data.get("dataset")
            and a.data.get("heldout_set") == b.data.get("heldout_set"))


def default_score_beside(registry: Registry, manifest: Manifest, default: str) -> float | None:
    """The default's F1 on the held-out posts `manifest`'s round was scored on, as a round
    recorded it: the version's own round where it continued the default, the default's own
    round, or a round of the same posts that continued the default. None: never measured."""
    if manifest.parent == default:
        return (manifest.metrics.get("held_out_parent") or {}).get("f1")
    own = registry.manifest(default)
    if _same_posts(own, manifest) and held_out_f1(own) is not None:
        return held_out_f1(own)
    for m in registry.list():
        if m.manifest.parent == default and _same_posts(m.manifest, manifest):
            score = (m.manifest.metrics.get("held_out_parent") or {}).get("f1")
            if score is not None:
                return score
    return None


def round_gain_over(manifest: Manifest, default: str) -> dict | None:
    """The overall gain interval the version's own round measured over `default` (its parent),
    on the held-out posts: {"value", "low", "high", "p_better"}; None where the version did not
    continue `default` by a round. A round that found no clear change was promoted on a point
    score above the default's (+0.12, its interval −0.60 to +0.94), unasked."""
    if manifest.parent != default:
        return None
    return ((manifest.extra.get("round") or {}).get("gain") or {}).get("*")
