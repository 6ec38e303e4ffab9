"""Benchmark: which encoder MatMuls int8 keeps in fp32, against how many posts its fp32 safety
net must re-read, and what that does to the end-to-end speed.

int8 serves a post alone unless its least sure word is under a threshold, chosen on both
Twitter valid splits with a margin (quantize.py); then fp32 reads it again. A better int8
graph needs fewer re-reads, but each MatMul kept in fp32 makes every post slower. For each
variant on the shipped entity default: int8 alone's agreement with fp32, the threshold chosen,
the share of Twitter-2017 test re-read and the agreement after it; then, in one process and
interleaved (rounds of every variant in turn, medians), posts/s over the whole test split at
batch 32 and p50 at batch 1, re-reads included.

    python benchmarks/int8_variants.py [--rounds 5]
"""

from __future__ import annotations

import argparse
import re
import statistics
import tempfile
import time
from pathlib import Path

from _common import write_result

VARIANTS = {  # what stays fp32: the feed-forward output MatMul of these layers
    "layer 0 (shipped)": r"encoder/layer\.0/output/dense/MatMul$",
    "layers 0, 1": r"encoder/layer\.[01]/output/dense/MatMul$",
    "layers 0, 1, 5": r"encoder/layer\.[015]/output/dense/MatMul$",
    "all six": r"encoder/layer\.\d+/output/dense/MatMul$",
}


def build(checkpoint: Path, fp32: Path, pattern: str, work: Path, i: int) -> Path:
    import onnx

    from cot_explorer.student.int8_smoothing import smooth
    from cot_explorer.student.onnx_export import int8_nodes, quantize_nodes

    model = onnx.load(str(fp32))
    nodes = int8_nodes(model.graph, keeps_fp32=re.compile(pattern))
    smoothed, out = work / f"{i}-smoothed.onnx", work / f"{i}-int8.onnx"
    smooth(checkpoint, model, smoothed, nodes)
    quantize_nodes(smoothed, out, nodes)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()

    from cot_explorer.paths import twitter_file
    from cot_explorer.student.onnx_export import ensure_export
    from cot_explorer.student.onnx_predictor import OnnxPredictor
    from cot_explorer.student.quantize import _agreement, _answers, _items, choose_recheck
    from cot_explorer.student.registry import shipped_dir

    checkpoint = shipped_dir() / "mner-default"
    fp32_graph = ensure_export(checkpoint, "fp32")
    select = {"Twitter-2017 valid": _items(str(twitter_file("twitter2017", "valid")), "mner", None),
              "Twitter-2015 valid": _items(str(twitter_file("twitter2015", "valid")), "mner", None)}
    test = _items(str(twitter_file("twitter2017", "test")), "mner", None)
    fp32 = OnnxPredictor(checkpoint, "fp32")
    reference, _, _ = _answers(fp32, "mner", test, 0.0)

    rows, predictors = {}, {}
    with tempfile.TemporaryDirectory(prefix="int8-variants-") as tmp:
        for i, (name, pattern) in enumerate(VARIANTS.items()):
            p = OnnxPredictor(checkpoint, "int8", graph=build(checkpoint, fp32_graph, pattern, Path(tmp), i))
            threshold, tried, cleared = choose_recheck(fp32, p, "mner", select)
            p.recheck_below = threshold
            alone, sure, _ = _answers(p, "mner", test, 0.0)
            served, _, _ = _answers(p, "mner", test, threshold)
            kept, new = _agreement(reference, served)
            rows[name] = {"fp32_matmuls": pattern, "alone_kept_valid": {t["split"]: t["fp32_answers_kept"]
                                                                        for t in tried if t["recheck_below"] == 0.0},
                          "alone_kept_test": _agreement(reference, alone)[0], "recheck_below": threshold,
                          "cleared": cleared, "reread_pct_test": round(100 * sum(x < threshold for x in sure) / len(sure), 1),
                          "kept_test": kept, "not_in_fp32_test": new}
            p.predict_entities(test)   # warm
            predictors[name] = p
            print(name, rows[name], flush=True)
        times = {n: {"e2e": [], "p50": []} for n in predictors}
        for r in range(args.rounds):
            for name, p in predictors.items():
                best = float("inf")
                for _ in range(3):
                    t0 = time.perf_counter()
                    p.predict_entities(test)
                    best = min(best, time.perf_counter() - t0)
                times[name]["e2e"].append(best)
                lat = []
                for words in test[:300]:
                    t0 = time.perf_counter()
                    p.predict_entities([words])
                    lat.append(1000 * (time.perf_counter() - t0))
                times[name]["p50"].append(statistics.median(lat))
            print(f"round {r + 1}:", {n: round(len(test) / t["e2e"][-1]) for n, t in times.items()}, flush=True)
    for name, t in times.items():
        rows[name].update(posts_per_s=round(len(test) / statistics.median(t["e2e"]), 1),
                          p50_ms=round(statistics.median(t["p50"]), 2),
                          posts_per_s_rounds=[round(len(test) / x, 1) for x in t["e2e"]])
    lines = ["| fp32 feed-forward outputs | int8 alone, % of fp32's spans (test) | threshold | re-read % (test) | "
             "% kept with re-reads | posts/s (batch 32) | p50 ms |", "|---|---|---|---|---|---|---|"]
    for name, r in rows.items():
        lines.append(f"| {name} | {r['alone_kept_test']} | {r['recheck_below']} | {r['reread_pct_test']} | {r['kept_test']} | "
                     f"{r['posts_per_s']} | {r['p50_ms']} |")
    write_result("int8_variants", {"checkpoint": "models/mner-default", "rounds": args.rounds, "variants": rows},
                 "\n".join(lines))


if __name__ == "__main__":
    main()
