"""Benchmark: the shipped student on 2 CPU cores. Writes benchmarks/results/inference.json.

- p50 / p90 latency per post at batch 1, end to end (word pieces, encoder, CRF decoding, spans);
- throughput at batch 32, end to end, over Twitter-2017 test;
- the same posts through the bare encoder alone (pre-tokenized, no prompts, no CRF), in the same
  number format: the ratio end-to-end / bare is the cost of everything that is not the encoder;
- all of it in fp32 and in the format `auto` picks here (bf16 on CPUs with native bf16), with
  the test F1 of each, so a faster format is never bought with accuracy unseen;
- training time per epoch of each view on Twitter-2017 train, from timed steps.

    python benchmarks/inference.py [--threads 2] [--train-steps 12] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch  # noqa: E402

from cot_explorer.evaluate import score_spans  # noqa: E402
from cot_explorer.paths import data_dir  # noqa: E402
from cot_explorer.student.checkpoint import load_checkpoint  # noqa: E402
from cot_explorer.student.data import mner_examples_from_files  # noqa: E402
from cot_explorer.student.inference_dtype import autocast, cpu_has_native_bf16, resolve_dtype  # noqa: E402
from cot_explorer.student.registry import shipped_dir  # noqa: E402
from cot_explorer.student.torch_predictor import StudentPredictor  # noqa: E402
from cot_explorer.student.views import encode  # noqa: E402

RESULTS = Path(__file__).parent / "results"


def timed(fn, repeat: int = 1) -> float:
    t0 = time.perf_counter()
    for _ in range(repeat):
        fn()
    return (time.perf_counter() - t0) / repeat


def train_epoch_estimates(steps: int) -> dict:
    """Seconds per epoch of each view, from `steps` timed optimizer steps (after 2 warm-up steps)."""
    from cot_explorer.student.backbone import load_backbone
    from cot_explorer.student.config import TrainConfig
    from cot_explorer.student.train import _WithLoss, make_task

    train = mner_examples_from_files(data_dir(), "twitter2017", "train")
    out = {}
    for variant in ("text", "knowledge", "distill"):
        cfg = TrainConfig(variant=variant)
        tok, enc = load_backbone(cfg.backbone)
        task = make_task(cfg, tok)
        model = _WithLoss(task.build(cfg, enc), task, cfg)
        opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-5)
        times = []
        for i in range(steps + 2):
            batch = task.collate(train[i * 16 : (i + 1) * 16], knowledge=cfg.uses_knowledge)
            t0 = time.perf_counter()
            loss, _ = model(batch)
            loss.backward()
            opt.step()
            opt.zero_grad()
            if i >= 2:
                times.append(time.perf_counter() - t0)
        per_step = statistics.mean(times)
        n_steps = -(-len(train) // 16)
        label = {"text": "text view", "knowledge": "knowledge view", "distill": "both views + KL (distill)"}[variant]
        out[variant] = {"view": label, "seconds_per_step": round(per_step, 3), "steps_per_epoch": n_steps,
                        "seconds_per_epoch_estimate": round(per_step * n_steps, 1), "timed_steps": steps,
                        "knowledge_budget": cfg.knowledge_budget}
    return out


def measure(loaded, words: list, test, dtype: str) -> dict:
    """Latency, throughput, the encoder baselines in the same number format, and test F1."""
    predictor = StudentPredictor(loaded, batch_size=32, dtype=dtype)
    for w in words[:20]:  # warm-up
        predictor.predict_entities([w])
    lat = []
    for w in words[:400]:
        t0 = time.perf_counter()
        predictor.predict_entities([w])
        lat.append(time.perf_counter() - t0)
    lat_ms = sorted(x * 1000 for x in lat)

    predictor.predict_entities(words[:64])
    e2e = min(timed(lambda: predictor.predict_entities(words)) for _ in range(5))

    enc = loaded.model.encoder
    aligner = loaded.task.aligner
    by_len = sorted(words, key=aligner.n_subtokens)  # the batches predict() makes
    batches = [aligner.encode(by_len[i : i + 32]) for i in range(0, len(by_len), 32)]

    def bare():
        with torch.inference_mode(), autocast(predictor.dtype):
            for b in batches:
                enc(input_ids=b.input_ids, attention_mask=b.attention_mask, token_type_ids=b.token_type_ids)

    bare()
    bare_s = min(timed(bare) for _ in range(5))

    def bare_with_prompt_length():  # the encoder over the text view's real input (m soft prompts included)
        with torch.inference_mode(), autocast(predictor.dtype):
            for b in batches:
                encode(enc, b, loaded.model.prompts)

    bare_with_prompt_length()
    bare_prompts_s = min(timed(bare_with_prompt_length) for _ in range(5))
    pred = predictor.predict_entities(words)
    f1 = score_spans([ex.spans for ex in test], [[p.span() for p in ps] for ps in pred]).f1
    return {
        "dtype": predictor.dtype,
        "latency_batch1_ms": {"p50": round(statistics.median(lat_ms), 2),
                              "p90": round(lat_ms[int(0.9 * len(lat_ms))], 2), "n": len(lat_ms)},
        "throughput_batch32_posts_per_s": round(len(words) / e2e, 1),
        "end_to_end_s": round(e2e, 3),
        "bare_encoder_s": round(bare_s, 3),
        "encoder_with_soft_prompts_s": round(bare_prompts_s, 3),
        "end_to_end_over_bare_encoder": round(e2e / bare_s, 3),
        "test_f1": round(f1, 2),
    }


def median_round(rounds: list[dict]) -> dict:
    """Each figure's median over the rounds (this machine is shared and noisy), rounds kept."""
    def med(key, sub=None):
        xs = [r[key][sub] if sub else r[key] for r in rounds]
        return round(statistics.median(xs), 3)

    out = {"dtype": rounds[0]["dtype"], "rounds": len(rounds),
           "latency_batch1_ms": {"p50": med("latency_batch1_ms", "p50"), "p90": med("latency_batch1_ms", "p90"),
                                 "n": rounds[0]["latency_batch1_ms"]["n"]}}
    for key in ("throughput_batch32_posts_per_s", "end_to_end_s", "bare_encoder_s", "encoder_with_soft_prompts_s",
                "end_to_end_over_bare_encoder", "test_f1"):
        out[key] = med(key)
    out["per_round"] = rounds
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--train-steps", type=int, default=12)
    ap.add_argument("--repeat", type=int, default=3, help="rounds of the inference figures; medians are reported")
    ap.add_argument("--model", default=str(shipped_dir() / "mner-default"))
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    loaded = load_checkpoint(Path(args.model))
    test = mner_examples_from_files(data_dir(), "twitter2017", "test", with_knowledge=False)
    words = [ex.words for ex in test]
    product = resolve_dtype("auto")
    rounds = {d: [] for d in dict.fromkeys(("fp32", product))}
    for _ in range(args.repeat):  # interleaved, so a noisy minute hits both formats alike
        for d in rounds:
            rounds[d].append(measure(loaded, words, test, d))
    by_dtype = {d: median_round(rs) for d, rs in rounds.items()}
    result = {
        "benchmark": "inference",
        "command": "python benchmarks/inference.py " + " ".join(sys.argv[1:]),
        "machine": {"cpus": os.cpu_count(), "threads": args.threads, "platform": platform.platform(),
                    "torch": torch.__version__, "processor": platform.processor(),
                    "native_bf16": cpu_has_native_bf16()},
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "model": args.model, "posts": len(words),
        **{k: v for k, v in by_dtype[product].items() if k != "per_round"},  # what `predict` and the app use here (auto)
        "by_dtype": by_dtype,
        "targets": {"latency_p50_ms": 15, "throughput_posts_per_s": 200, "end_to_end_over_bare": 1.3},
    }
    if args.train_steps:
        result["training_cpu"] = train_epoch_estimates(args.train_steps)
    elif (RESULTS / "inference.json").exists():  # keep the last training-time figures
        result["training_cpu"] = json.loads((RESULTS / "inference.json").read_text()).get("training_cpu")
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "inference.json").write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps({k: v for k, v in result.items() if k not in ("machine", "by_dtype")}, indent=2))
    for d, r in by_dtype.items():
        print(f"{d}: p50 {r['latency_batch1_ms']['p50']} ms, {r['throughput_batch32_posts_per_s']} posts/s, "
              f"x{r['end_to_end_over_bare_encoder']} bare encoder "
              f"(x{r['end_to_end_s'] / r['encoder_with_soft_prompts_s']:.2f} with prompts), test F1 {r['test_f1']}")


if __name__ == "__main__":
    main()
