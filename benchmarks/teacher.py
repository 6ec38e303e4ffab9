"""Benchmark: the recorded ChatGPT knowledge as teacher output.

Per split, how many listed entities align to the post's tokens (exactly, or once spaces are
ignored, as in joined hashtags), and the teacher's own entity list as a zero-shot tagger on
Twitter-2017 test with the project's scorer. Writes benchmarks/results/teacher.json.

    python benchmarks/teacher.py
"""

from __future__ import annotations

import argparse

from _common import TAGGER_SPLIT, teacher_as_tagger, teacher_list_figures, write_result

SPLITS = {"twitter2017": ("train", "valid", "test"), "twitter2015": ("train", "valid")}


def main() -> None:
    argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter).parse_args()
    per_split = {f"{dataset}/{split}": teacher_list_figures(dataset, split)
                 for dataset, splits in SPLITS.items() for split in splits}
    tagger = teacher_as_tagger(per_split["/".join(TAGGER_SPLIT)])["untyped"]
    table = "\n".join(
        ["| split | entities listed | aligned exactly | + ignoring spaces | + ignoring case | not in the post | "
         "teacher as tagger, untyped F1 |", "|---|---|---|---|---|---|---|"] +
        [f"| {k} | {v['entities_listed']} | {v['aligned_exactly']} ({100 * v['exact_share']:.1f}%) | "
         f"{v['aligned_ignoring_spaces']} | {v['aligned_only_ignoring_case']} | {v['not_aligned']} | "
         f"{v['zero_shot_untyped']['f1']:.2f} |" for k, v in per_split.items()])
    write_result("teacher", {"benchmark": "teacher", "splits": per_split,
                             "teacher_as_tagger_twitter2017_test_untyped": tagger}, table)


if __name__ == "__main__":
    main()
