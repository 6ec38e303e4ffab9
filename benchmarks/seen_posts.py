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

T15_DEV = 400   # as real_tweets.py: the last posts of Twitter-2015 train chose epochs, not trained on

# what each shipped model was trained on (its manifest's training.data says the same in words)
TRAINED_ON = {
    "mner-default": "both",
    "mner-knowledge": "both",
    "mner-twitter2017": "t17",
    "mre-default": "mnre",
}
SOURCES = {
    "both": f"Twitter-2017 train + Twitter-2015 train less its last {T15_DEV} posts",
    "t17": "Twitter-2017 train",
    "t17u15": "Twitter-2017 train (Twitter-2015 train unlabelled, read for the teacher's soft targets)",
    "t15": f"Twitter-2015 train less its last {T15_DEV} posts",
    "mnre": "MNRE train",
}


def training_words(data: str) -> list[tuple[str, ...]]:
    from cot_explorer.datasets.mnre import read_mnre
    from cot_explorer.datasets.twitter_conll import read_twitter_conll
    from cot_explorer.labels import mner_schema_for
    from cot_explorer.paths import data_dir, mnre_file, twitter_file

    root = data_dir()

    def twitter(dataset: str) -> list[tuple[str, ...]]:
        parsed = read_twitter_conll(twitter_file(dataset, "train", root), dataset, "train", mner_schema_for(dataset),
                                    repair_bio=dataset == "twitter2015")
        return [it.post.tokens for it in parsed.posts]

    if data == "t17":
        return twitter("twitter2017")
    if data == "t17u15":
        return twitter("twitter2017") + twitter("twitter2015")
    if data == "t15":
        return twitter("twitter2015")[:-T15_DEV]
    if data == "both":
        return twitter("twitter2017") + twitter("twitter2015")[:-T15_DEV]
    if data == "mnre":
        return [it.post.tokens for it in read_mnre(mnre_file("train", root), "mnre", "train").posts]
    raise SystemExit(f"unknown training data {data!r}")


def write_for(name: str, data: str | None = None) -> Path:
    """`data`: what the model was trained on (real_tweets.py's names), else what TRAINED_ON says."""
    from cot_explorer.student.registry import shipped_dir
    from cot_explorer.student.seen_posts import words_digest, write_seen

    data = data or TRAINED_ON.get(name)
    if data is None:
        raise SystemExit(f"no training data known for {name}; known: {', '.join(TRAINED_ON)}")
    words = training_words(data)
    path = write_seen(shipped_dir() / name, (words_digest(w) for w in words), SOURCES[data])
    print(f"{path}: {len(set(map(tuple, words)))} distinct posts of {SOURCES[data]}")
    return path


def main(argv: list[str]) -> None:
    from cot_explorer.student.registry import shipped_dir

    for name in argv or [n for n in TRAINED_ON if (shipped_dir() / n / "manifest.json").exists()]:
        write_for(name)


if __name__ == "__main__":
    main(sys.argv[1:])
