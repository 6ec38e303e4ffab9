"""A viewer's share of predictions: any viewer (a Space's visitors) could make the server
predict whole splits with every model version, minutes of both cores each."""

from __future__ import annotations

import pytest

from cot_explorer.access import Role, User
from cot_explorer.errors import CotExplorerError
from cot_explorer.predict_budget import PredictBudget, PredictionsRefused
from cot_explorer.store import open_store
from cot_explorer.store.posts import list_posts
from cot_explorer.ui import annotate, errors_tab, predicted
from cot_explorer.ui.demo import ensure_demo


def test_a_share_is_counted_over_a_rolling_hour():
    now = [0.0]
    budget = PredictBudget(100, clock=lambda: now[0])
    budget.charge("vic", 60)
    budget.charge("", 100)                 # visitors who have not signed in: one share of their own
    with pytest.raises(PredictionsRefused, match=r"predict 41 posts.*\(100; 40 left; 60 are counted this hour, the "
                                                 r"first of them freeing up in about 60 min\)"):
        budget.charge("vic", 41)
    budget.charge("vic", 40)               # a refusal takes nothing
    # what to do instead, true where it is said: no one to ask where no one can sign in (a
    # Space's visitor was told to ask an annotator, and to pick the default model they had on)
    with pytest.raises(PredictionsRefused, match=r"try a smaller split, or a version whose answers are stored, or "
                                                 r"ask an annotator or admin, who is not limited\.$"):
        budget.charge("vic", 1)
    with pytest.raises(PredictionsRefused, match=r"a version whose answers are stored\.$") as refused:
        budget.charge("vic", 1, others_may=False)
    assert "waiting will not help" not in str(refused.value)   # an hour on, it will
    # more than an hour's share: no hour allows it, and waiting is not offered as a way
    with pytest.raises(PredictionsRefused, match=r"No hour allows it \(101 is more than an hour's 100\), so waiting "
                                                 r"will not help\."):
        budget.charge("new", 101)
    now[0] = 3600.0                        # an hour on, the first 60 are no longer counted
    budget.charge("vic", 60)
    for bad in ("lots", "-1"):
        with pytest.raises(CotExplorerError, match="COT_EXPLORER_VIEWER_PREDICTIONS_PER_HOUR"):
            PredictBudget.from_env({"COT_EXPLORER_VIEWER_PREDICTIONS_PER_HOUR": bad})


def test_only_a_viewer_s_whole_splits_are_charged_and_answers_in_the_store_are_free(home):
    ensure_demo(home)
    budget = PredictBudget(30)
    viewer, annotator = User("vic", Role.VIEWER), User("ann", Role.ANNOTATOR)
    assert predicted.viewer_charge(budget, annotator) is None
    with open_store(home) as store:
        posts = list_posts(store, "demo", "test")
    # a whole split (40 posts) is more than the share: refused before any is predicted
    with pytest.raises(PredictionsRefused, match="predict 40 posts"):
        annotate.queue(home, "demo/test", order="student uncertainty", charge=predicted.viewer_charge(budget, viewer))
    with pytest.raises(PredictionsRefused):
        errors_tab.error_analysis(home, "demo/test", charge=predicted.viewer_charge(budget, viewer))
    assert predicted.cached_predictions(home, posts[:0]) == {}
    # 25 predicted for the viewer leave 5 (one post opened in the app passes no charge: the Space
    # test in test_access.py opens posts with a share of 0)
    predicted.cached_predictions(home, posts[:25], charge=predicted.viewer_charge(budget, viewer))
    with pytest.raises(PredictionsRefused, match=r"predict 15 posts.*\(30; 5 left"):
        errors_tab.error_analysis(home, "demo/test", charge=predicted.viewer_charge(budget, viewer))
    # an annotator's whole split is not limited; after it, the viewer's costs nothing
    annotate.queue(home, "demo/test", order="student uncertainty", charge=predicted.viewer_charge(budget, annotator))
    assert errors_tab.error_analysis(home, "demo/test", charge=predicted.viewer_charge(budget, viewer)).posts == 40
