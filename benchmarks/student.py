"""Benchmark: train and test the students (Twitter-2017 MNER, MNRE) for every variant.

Runs a grid of (variant, seed, data fraction) in parallel worker processes, each training
on train, choosing the epoch on valid and scoring test with the project's scorer.
Writes <out>/student.json (and <out>/runs.jsonl, one line per run as it finishes) and prints
a markdown table; benchmarks/student_report.py reads such files kept under
benchmarks/results/device and benchmarks/results/cpu. Long: on 2 CPU cores a distill run
takes hours; it was run on a lent GPU (see the JSON's "machine").

    python benchmarks/student.py --workers 5 --deadline-s 480 --out /tmp/student
    python benchmarks/student.py --smoke          # a few steps of everything, to check the script
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import statistics
import time
import traceback
from dataclasses import replace
from pathlib import Path

from _common import Deadline, write_result

BASE = dict(epochs=15, patience=5, batch_size=16, lr=1e-4, head_lr=1e-3, knowledge_budget=160, n_prompts=4,
            lam=0.5, temperature=2.0)


def grid(smoke: bool) -> list[dict]:
    runs = []
    for seed in (42, 43, 44):
        for variant in ("distill", "text"):
            runs.append({"id": f"mner-{variant}-s{seed}", "task": "mner", "variant": variant, "seed": seed,
                         "fraction": 1.0, "save": variant == "distill"})
    runs += [{"id": "mner-knowledge-s42", "task": "mner", "variant": "knowledge", "seed": 42, "fraction": 1.0},
             {"id": "mner-distill-plain-s42", "task": "mner", "variant": "distill-plain", "seed": 42, "fraction": 1.0}]
    runs += [{"id": f"mner-text-noshape-s{seed}", "task": "mner", "variant": "text", "seed": seed, "fraction": 1.0,
              "shape_features": False} for seed in (42, 43, 44)]
    # Shape ablation of the full method: 7 epochs, the shipped default's run (`--epochs 7` for the twins).
    runs += [{"id": f"mner-distill-noshape-s{seed}", "task": "mner", "variant": "distill", "seed": seed,
              "fraction": 1.0, "shape_features": False, "epochs": 7, "save": True} for seed in (42, 43, 44)]
    for seed in (42, 43, 44):
        for variant in ("distill", "text"):
            runs.append({"id": f"mner10-{variant}-s{seed}", "task": "mner", "variant": variant, "seed": seed,
                         "fraction": 0.1})
    runs.append({"id": "mre-text-s42", "task": "mre", "variant": "text", "seed": 42, "fraction": 1.0})
    # No recorded reasoning exists for MNRE posts: this run reads the live teacher's answers per
    # entity pair from the store ($COT_EXPLORER_HOME) after `cot-explorer import` of mnre and
    # `cot-explorer teach --dataset mnre --split train|valid|test`, and fails clearly without them.
    runs.append({"id": "mre-distill-s42", "task": "mre", "variant": "distill", "seed": 42, "fraction": 1.0,
                 "from_store": True})
    return runs


def load_data(task: str, smoke: bool, from_store: bool = False):
    from cot_explorer.paths import data_dir
    from cot_explorer.student.data import mner_examples_from_files, mre_examples_from_files

    root = data_dir()
    if from_store:
        from cot_explorer.store import open_store
        from cot_explorer.store.teacher_outputs import posts_with_answers
        from cot_explorer.student.data import mre_examples_from_store

        with open_store(None) as store:
            missing = [s for s in ("train", "valid", "test") if not posts_with_answers(store, "mnre", s, "mre")]
            if missing:
                raise RuntimeError(f"no teacher answers for mnre {', '.join(missing)} in {store.home}: run "
                                   "`cot-explorer teach --dataset mnre --split SPLIT` with an API key first")
            data = {s: mre_examples_from_store(store, "mnre", s) for s in ("train", "valid", "test")}
    elif task == "mner":
        data = {s: mner_examples_from_files(root, "twitter2017", s) for s in ("train", "valid", "test")}
    else:
        data = {s: mre_examples_from_files(root, s) for s in ("train", "valid", "test")}
    if smoke:
        data = {k: v[:48] for k, v in data.items()}
    return data


def run_one(spec: dict, smoke: bool, deadline: float, out_dir: Path) -> dict:
    import torch

    from cot_explorer.student.checkpoint import load_checkpoint, save_checkpoint
    from cot_explorer.student.config import TrainConfig
    from cot_explorer.student.train import train_student

    torch.backends.cuda.matmul.allow_tf32 = True
    if torch.cuda.is_available():
        torch.set_num_threads(max(1, (os.cpu_count() or 2) // 8))  # several workers share the card's host
    data = load_data(spec["task"], smoke, spec.get("from_store", False))
    cfg = TrainConfig(task=spec["task"], variant=spec["variant"], seed=spec["seed"],
                      train_fraction=spec["fraction"], shape_features=spec.get("shape_features", True),
                      freeze_word_embeddings=spec["task"] == "mner", **BASE)
    if spec.get("epochs"):
        cfg = replace(cfg, epochs=spec["epochs"], patience=spec["epochs"])
    if smoke:
        cfg = replace(cfg, epochs=1, knowledge_budget=32)

    t0 = time.time()
    res = train_student(cfg, data["train"], data["valid"], callback=Deadline(deadline), progress=False)
    device = next(res.model.parameters()).device
    test = res.task.evaluate(res.model, data["test"], cfg, device)
    out = {"spec": spec, "config": cfg.to_json(), "best_epoch": res.best_epoch, "stopped": res.stopped,
           "valid": res.best_valid, "test": test, "history": res.history,
           "seconds_per_epoch": res.seconds_per_epoch, "wall_s": time.time() - t0,
           "n_train": round(len(data["train"]) * cfg.train_fraction), "device": str(device)}
    if spec.get("save"):  # the best-on-valid state so far, even when a deadline cut training short
        labels = res.task.tags if cfg.task == "mner" else res.task.labels
        extra = {"metrics": {"valid": res.best_valid, "test": test},
                 "training": {"data": "twitter2017 train (valid for model choice), recorded ChatGPT knowledge + BLIP-2 captions",
                              "command": "python benchmarks/student.py", "device": str(device)}}
        path = save_checkpoint(out_dir / "ckpt", spec["id"], res.model, cfg, labels, extra, dtype="float16", replace=True)
        half = load_checkpoint(path).model.to(device)
        out["test_fp16_checkpoint"] = res.task.evaluate(half, data["test"], cfg, device)
        out["checkpoint"] = str(path)
    return out


def worker(specs: list[dict], smoke: bool, deadline: float, out_dir: str) -> None:
    out = Path(out_dir)
    for spec in specs:
        if time.time() > deadline - 20:
            rec = {"spec": spec, "skipped": "deadline"}
        else:
            try:
                rec = run_one(spec, smoke, deadline, out)
            except Exception:
                rec = {"spec": spec, "error": traceback.format_exc()}
        with open(out / "runs.jsonl", "a") as f:
            f.write(json.dumps(rec) + "\n")
        print(f"[{spec['id']}] " + (f"test f1 {rec['test']['f1']}" if "test" in rec else
                                    rec.get("skipped") or rec.get("error", "")[-500:]), flush=True)


def mean_std(xs: list[float]) -> str:
    if not xs:
        return "-"
    if len(xs) == 1:
        return f"{xs[0]:.2f}"
    return f"{statistics.mean(xs):.2f} ± {statistics.stdev(xs):.2f}"


def summarize(records: list[dict]) -> tuple[dict, str]:
    ok = [r for r in records if "test" in r]
    groups: dict[str, list[dict]] = {}
    for r in ok:
        key = r["spec"]["id"].rsplit("-s", 1)[0]
        groups.setdefault(key, []).append(r)
    summary = {}
    lines = ["| run | seeds | test P | test R | test F1 | valid F1 | epochs (best) | s/epoch |", "|---|---|---|---|---|---|---|---|"]
    for key in sorted(groups):
        rs = groups[key]
        f1 = [r["test"]["f1"] for r in rs]
        summary[key] = {"seeds": [r["spec"]["seed"] for r in rs], "test_f1": f1, "test_f1_mean": statistics.mean(f1),
                        "test_f1_std": statistics.stdev(f1) if len(f1) > 1 else 0.0,
                        "valid_f1": [r["valid"]["f1"] for r in rs]}
        lines.append(f"| {key} | {len(rs)} | {mean_std([r['test']['precision'] for r in rs])} | "
                     f"{mean_std([r['test']['recall'] for r in rs])} | {mean_std(f1)} | "
                     f"{mean_std([r['valid']['f1'] for r in rs])} | "
                     f"{', '.join(str(r['best_epoch']) for r in rs)} | "
                     f"{statistics.mean(s for r in rs for s in r['seconds_per_epoch']):.1f} |")
    return summary, "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--deadline-s", type=float, default=24 * 3600)
    ap.add_argument("--out", default="/tmp/cot-student-bench")
    ap.add_argument("--only", help="comma-separated run ids")
    ap.add_argument("--smoke", action="store_true")
    ap.add_argument("--epochs", type=int, help="fixed epochs for every run (schedule and patience follow)")
    args = ap.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "runs.jsonl").unlink(missing_ok=True)
    specs = grid(args.smoke)
    if args.only:
        keep = set(args.only.split(","))
        specs = [s for s in specs if s["id"] in keep]
    if args.epochs:
        specs = [{**s, "epochs": args.epochs} for s in specs]
    deadline = time.time() + args.deadline_s
    t0 = time.time()
    ctx = mp.get_context("spawn")
    procs = [ctx.Process(target=worker, args=(specs[i :: args.workers], args.smoke, deadline, str(out)))
             for i in range(args.workers)]
    for p in procs:
        p.start()
    for p in procs:
        p.join()
    records = [json.loads(ln) for ln in (out / "runs.jsonl").read_text().splitlines()]
    summary, table = summarize(records)
    import torch  # noqa: F401 - imported so that write_result records the torch version and the GPU

    write_result(out / "student.json", {"benchmark": "student", "wall_s": time.time() - t0, "base_config": BASE,
                                        "summary": summary, "runs": records}, table)


if __name__ == "__main__":
    main()
