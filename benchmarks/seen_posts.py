"""Write `seen-posts.txt` beside each shipped model: the digests of the posts it was trained on
(cot_explorer.student.seen_posts), read from the data files its manifest names, so a round or
an error analysis in the app never measures it on what it learnt.

    python benchmarks/seen_posts.py            # every shipped model
    python benchmarks/seen_posts.py mre-default

The ship commands (`real_tweets.py --ship`, `relation_student.py --ship`) call it too.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

# what each shipped model was trained on, in real_tweets.py's names (its manifest's
# training.data says the same in words); MNRE for the relation model
TRAINED_ON = {
    "mner-default": ("both", 42),
    "mner-knowledge": ("both", 42),
    "mner-twitter2017": ("t17", 42),
    "mre-default": ("mnre", 42),
}


DESCRIBED = {
    "both": "Twitter-2017 train + Twitter-2015 train less its last 400 posts",
    "t17": "Twitter-2017 train",
    "t17u15": "Twitter-2017 train, and Twitter-2015 train unlabelled (the teacher's answers on it)",
    "t15": "Twitter-2015 train less its last 400 posts",
    "t17-10": "a tenth of Twitter-2017 train labelled, the rest unlabelled (the teacher's answers on it)",
}


def training_words(data: str, seed: int = 42) -> list[tuple[str, ...]]:
    """The words of every post a run on `data` trains on (its unlabelled posts too: a kd student
    learns the teacher's answers on them), read as real_tweets.py reads them."""
    if data == "mnre":
        from cot_explorer.datasets.mnre import read_mnre
        from cot_explorer.paths import mnre_file

        return [it.post.tokens for it in read_mnre(mnre_file("train"), "mnre", "train").posts]
    from real_tweets import load_sets  # beside this script: one place for what a run trains on

    sets = load_sets(data, seed, smoke=False)
    return [tuple(ex.words) for ex in [*sets["train"], *sets["unlabelled"]]]


def write_for(name: str, data: str | None = None, seed: int | None = None) -> Path:
    """`data`, `seed`: the run's (real_tweets.py's names), else what TRAINED_ON says."""
    from cot_explorer.student.registry import shipped_dir
    from cot_explorer.student.seen_posts import words_digest, write_seen

    known, known_seed = TRAINED_ON.get(name, (None, 42))
    data, seed = data or known, known_seed if seed is None else seed
    if data is None:
        raise SystemExit(f"no training data known for {name}; known: {', '.join(TRAINED_ON)}")
    words = training_words(data, seed)
    said = "MNRE train" if data == "mnre" else f"{DESCRIBED.get(data, data)} (real_tweets.py's {data!r}, seed {seed})"
    path = write_seen(shipped_dir() / name, (words_digest(w) for w in words), said)
    print(f"{path}: {len(set(words))} distinct posts of {data}")
    return path


def main(argv: list[str]) -> None:
    from cot_explorer.student.registry import shipped_dir

    for name in argv or [n for n in TRAINED_ON if (shipped_dir() / n / "manifest.json").exists()]:
        write_for(name)


if __name__ == "__main__":
    main(sys.argv[1:])
