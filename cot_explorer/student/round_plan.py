"""A round's sets, decided before any job exists and without PyTorch (the Distill tab shows
them as the user picks a dataset): see incremental.py for what each set is for."""

from __future__ import annotations

import random
from dataclasses import dataclass

from ..errors import CotExplorerError
from ..labels import MnerSchema
from ..store.heldout import fix_heldout, heldout_ids, heldout_source
from ..store.jobs import round_started
from ..store.labels import corrected_post_ids, labelled_task
from ..store.model_versions import get_version
from ..store.posts import dataset_schema, list_posts
from .config import TrainConfig, Variant
from .manifest import Manifest
from .registry import Registry
from .seen_posts import seen_among

MIN_HELDOUT = 50            # below this a 95 % interval says little: a round is refused
HELDOUT_SHARE, HELDOUT_CAP = 0.2, 500
SELECTION_SIZE = 200
UNTOUCHED_SIZE = 300
MIN_UNTOUCHED = 30          # below this, forgetting is not reported (11 posts read "+0.00, within noise")
ROUND_VARIANTS = (Variant.TEXT.value, Variant.DISTILL.value)   # what a round offers (each tested from each parent)


@dataclass(frozen=True)
class VariantAdvice:
    """The variant a round on its posts should train, and why: how many of its training posts
    hold a chain of thought, and whether the parent is a kd student without soft prompts."""

    variant: str
    with_cot: int
    prompt_free_kd: bool


def suggested_variant(store, plan: "RoundPlan", parent: str = "default") -> VariantAdvice:
    """Distill learns from the chain of thought; with none to read, it would learn the labels
    alone with soft prompts the default lacks (a real loss in rounds on posts without it: -3.0
    F1 where text lost 0.1). A prompt-free kd parent continues as text whatever the posts hold:
    distill gives it fresh, untrained prompts (7 corrections of Twitter-2017 train, no chain of
    thought imported, 2 epochs: held-out -0.82 and forgetting -2.40 as distill, -0.19 and 0.00
    as text; a walker's five rounds on it as distill, on posts with their chain of thought, all
    lost 0.8 to 1.9). One rule for the app's plan and the CLI's `round`."""
    from ..store.knowledge import posts_with_knowledge_among
    from .manifest import Manifest

    with_cot = posts_with_knowledge_among(store, plan.curated + plan.replay, plan.task)
    config = TrainConfig.from_json(Manifest.read(Registry(store).path(parent, plan.task)).config)
    prompt_free_kd = config.variant == Variant.KD.value and not config.has_soft_prompts
    variant = Variant.TEXT.value if with_cot == 0 or prompt_free_kd else Variant.DISTILL.value
    return VariantAdvice(variant, with_cot, prompt_free_kd)


class RoundRefused(CotExplorerError):
    """A round that cannot be run or measured: said before any job exists. `needs` names what
    would make it possible ("posts" to import, "corrections" to make), for a UI to point to."""

    def __init__(self, message: str, needs: str | None = None):
        super().__init__(message)
        self.needs = needs


@dataclass(frozen=True)
class RoundPlan:
    dataset: str
    heldout_from: str                  # 'test split' or 'sample'
    curated: tuple[str, ...]
    replay: tuple[str, ...]
    selection: tuple[str, ...]
    heldout: tuple[str, ...]
    untouched: tuple[str, ...]
    corrected_heldout: int             # corrections on held-out posts: measured with, never trained on
    selection_from: str
    task: str = "mner"                 # mre: the dataset has entity pairs; the round trains the relation student
    twins_left_out: int = 0            # posts outside the held-out set whose words a held-out post has
    parent: str = ""                   # the model the round starts from
    parent_seen: int = 0               # posts of the dataset it was trained on: never held out
    relearnt: int = 0                  # corrected training posts the parent learnt as they are now: nothing new
    parent_seen_held_out: int = 0      # of `parent_seen`, those the held-out set would hold: kept out of it
    heldout_fixed: bool = False        # fixed by an earlier round (else this round fixes it)

    def sizes(self) -> dict:
        return {"training (corrected)": len(self.curated), "training (replayed)": len(self.replay),
                "selection": len(self.selection), "held-out": len(self.heldout), "untouched (forgetting)": len(self.untouched)}


def round_task(store, dataset: str) -> str:
    """'mre' for a dataset with entity pairs (its rounds train the relation student), else 'mner'."""
    return labelled_task(store, dataset)


def _choose_heldout(store, dataset: str, posts: list, seed: int, task: str = "mner",
                    seen: frozenset[str] | set[str] = frozenset()) -> tuple[list[str], str, int]:
    """`posts`: the dataset's, in file order (split, then position); `seen`: the ids of those
    the parent was trained on, never held out. Returns the held-out ids, where they are from,
    and how many posts that would have been held out the parent learnt."""
    test = [p.id for p in posts if p.split == "test"]
    if any(pid not in seen for pid in test):
        return [pid for pid in test if pid not in seen], "test split", len(set(test) & seen)
    corrected = set(corrected_post_ids(store, dataset, task=task))
    pool = [p.id for p in posts if p.id not in corrected]
    unseen = [pid for pid in pool if pid not in seen]
    k = min(HELDOUT_CAP, round(len(unseen) * HELDOUT_SHARE))
    return sorted(random.Random(f"{dataset}:{seed}").sample(unseen, k)), "sample", len(pool) - len(unseen)


def _kept_out(posts: list, seen: set[str] | frozenset[str], source: str | None) -> int:
    """How many posts the parent learnt the held-out set would hold but for that: those of the
    test split where it is the test split, else all of them (a sample is drawn from the rest)."""
    pool = {p.id for p in posts if p.split == "test"} if (source or "").startswith("test split") else {p.id for p in posts}
    return len(set(seen) & pool)


def _check_parent_fits(store, dataset: str, task: str, parent_dir) -> None:
    """A round continues a model of the dataset's task and, for entities, of its types, under
    their aliases (a Twitter-2015 split calls MISC OTHER: the default continues on it, which it
    could not). Checked before anything is fixed: a round refused at its start had fixed the
    dataset's held-out set."""
    manifest = Manifest.read(parent_dir)
    if manifest.task != task:
        raise RoundRefused(f"{dataset} needs {'a relation' if task == 'mre' else 'an entity'} model to continue; "
                           f"{manifest.name} is not one")
    if task == "mner":
        model_types = [t[2:] for t in manifest.labels if t.startswith("B-")]
        types = dataset_schema(store, dataset).types
        if not MnerSchema(tuple(types)).names_each_of(model_types):
            raise RoundRefused(f"the parent {manifest.name} predicts {model_types}, {dataset} uses {list(types)}: a round "
                               "continues a model of the dataset's entity types (train one with cot-explorer train)")


def plan_round(store, dataset: str, *, since: str | None = None, replay_ratio: float = 1.0, seed: int = 42,
               fix: bool = False, parent: str = "default") -> RoundPlan:
    """The sets of a round, checked: something to train on, a held-out set large enough for its
    interval to mean something, none of it a post the parent was trained on. With `fix`, a
    dataset's first round stores its held-out set, once every check has passed (a refused
    round left it stored)."""
    posts = list_posts(store, dataset)   # read once: the plan is made again on each choice in the Distill tab
    if not posts:
        raise RoundRefused(f"no posts in {dataset}")
    task = round_task(store, dataset)
    parent_dir = Registry(store).path(parent, task)
    _check_parent_fits(store, dataset, task, parent_dir)
    # the parent scored on posts it learnt reads near-perfect (99.56 F1 on Twitter-2017 train
    # posts), and every round measured there read as a loss: they are never held out
    seen = seen_among(parent_dir, posts)
    stored = heldout_ids(store, dataset)
    source = heldout_source(store, dataset)
    # fixed by an earlier round (with another parent, maybe): measured on what this one has not
    # learnt, and the rest kept out of every set still (`held_set`); fixed on posts it learnt
    # (before that was known) so that too few are left, chosen again
    held = [pid for pid in stored if pid not in seen]
    learnt_out = len(stored) - len(held)
    chosen_here = not stored or (learnt_out > 0 and len(held) < MIN_HELDOUT)
    if chosen_here:
        held, source, lost = _choose_heldout(store, dataset, posts, seed, task, seen)
        learnt_out += lost
        if stored:
            source = f"{source}, chosen again"
    held_set = set(held) | (set() if chosen_here else set(stored))
    if learnt_out and len(held) < MIN_HELDOUT:   # the posts the parent learnt are why: said so
        raise RoundRefused(f"{parent_dir.name}, the model a round starts from, was trained on {len(seen)} of the "
                           f"{len(posts)} posts of {dataset}: scored on those it reads near-perfect and every round "
                           f"would look like a loss, so they are never held out, and {len(held) or 'none'} "
                           f"{'is' if len(held) == 1 else 'are'} left to measure on (below {MIN_HELDOUT}). Import "
                           f"posts it has not learnt into {dataset}: a valid or test split, or posts of your own",
                           needs="posts")
    if not held:
        raise RoundRefused(f"{dataset} has no posts left to hold out for measuring; import more posts", needs="posts")
    if len(held) < MIN_HELDOUT:
        few = f"{len(held)} post{'' if len(held) == 1 else 's'}"
        if (source or "").startswith("test split"):
            # the test split is the held-out set whatever else is imported: "import more posts of
            # this dataset" led a walker to import a valid split, which changed nothing
            raise RoundRefused(f"{dataset}'s held-out posts are its test split, only {few}; below {MIN_HELDOUT} the "
                               "gain's 95 % interval means little, and more posts of other splits do not change "
                               f"it. A round needs at least {MIN_HELDOUT} held-out posts: a test split that "
                               "large, or, in a dataset with no test split, enough posts for the first round to "
                               "hold some out itself (a valid split of 723 posts holds out 143). Import a labelled "
                               "file as a dataset of your own, or run a round on one that is large enough",
                               needs="posts")
        raise RoundRefused(f"{dataset} would hold out only {few}; below {MIN_HELDOUT} the gain's 95 % "
                           "interval means little. Import more posts of this dataset (or run a round on a larger one)",
                           needs="posts")
    if all(p.id in held_set for p in posts):
        raise RoundRefused(f"every post of {dataset} is held out ({source or 'sample'}): rounds measure on those and "
                           "never train on them, so no correction of them can be trained on. Import a train or valid "
                           "split of it to correct", needs="posts")
    # a post whose words a held-out post has (the same file imported under two split names: 224
    # of 288 held-out posts had a twin) is not trained, chosen or replayed on: it would score
    # the round on what it learnt
    held_words = {p.tokens for p in posts if p.id in held_set}
    twins = {p.id for p in posts if p.id not in held_set and p.tokens in held_words}
    held_set |= twins   # kept out of every set below, as the held-out posts are
    if all(p.id in held_set for p in posts):
        raise RoundRefused(f"every post of {dataset} outside its held-out set has the words of a held-out post (the "
                           "same posts imported twice?): nothing is left to train on. Import other posts of it",
                           needs="posts")
    corrected = corrected_post_ids(store, dataset, since, task)
    curated = [pid for pid in corrected if pid not in held_set]
    if not curated and any(pid in twins for pid in corrected):
        raise RoundRefused(f"nothing to train on: every post corrected in {dataset}"
                           + (f" since {since}" if since else "") + " has the words of a held-out post (the same "
                           "posts imported twice?); correct other posts", needs="corrections")
    if not curated:
        raise RoundRefused(f"nothing to train on: no {'relations' if task == 'mre' else 'posts'} corrected in {dataset}"
                           + (f" since {since}" if since else "") + " outside its held-out set; correct some posts first",
                           needs="corrections")
    all_corrected = set(corrected_post_ids(store, dataset, task=task))
    rest = [p.id for p in posts if p.id not in held_set and p.id not in all_corrected]
    rng = random.Random(seed)
    rng.shuffle(rest)
    if len(rest) >= SELECTION_SIZE // 2:
        selection, rest = rest[:SELECTION_SIZE], rest[SELECTION_SIZE:]
        selection_from = "uncorrected posts"
    else:  # few uncorrected posts left: a fifth of the corrections choose the epoch instead
        k = max(1, len(curated) // 5)
        shuffled = curated[:]
        rng.shuffle(shuffled)
        selection, curated = shuffled[:k], [c for c in curated if c not in set(shuffled[:k])]
        selection_from = "corrected posts"
        if not curated:
            raise RoundRefused("too few corrected posts to both train and choose the epoch on; correct a few more")
    # the corrections the parent was trained on, unchanged since it was made: a second round from
    # a round's version learnt its five corrections again, and the plan read as if they were new.
    # Since the round that made it began, where one did (it read the labels then: a post corrected
    # again while it trained counted as learnt, dated against the version's registration)
    made = get_version(store, parent_dir.name)
    read_at = round_started(store, parent_dir.name) or (made.created_at if made is not None else None)
    newer = set(corrected_post_ids(store, dataset, read_at, task)) if read_at is not None else set(corrected)
    relearnt = sum(1 for pid in curated if pid in seen and pid not in newer)
    replay = rest[: int(round(replay_ratio * len(curated)))]
    untouched = rest[len(replay): len(replay) + UNTOUCHED_SIZE]
    if fix and chosen_here and fix_heldout(store, dataset, held, source, replacing=stored or None) != sorted(held):
        # another round fixed its own held-out set meanwhile: the sets are made again around it
        return plan_round(store, dataset, since=since, replay_ratio=replay_ratio, seed=seed, parent=parent)
    return RoundPlan(dataset, source or "sample", tuple(curated), tuple(replay), tuple(selection), tuple(sorted(held)),
                     tuple(untouched), len(all_corrected & set(held)), selection_from, task, len(twins),
                     parent_dir.name, len(seen), relearnt, _kept_out(posts, seen, source), not chosen_here)
