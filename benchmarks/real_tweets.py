"""Benchmark: students that hold up on real tweets (both Twitter corpora, the mention
convention, a stronger distillation). Each run trains one student and scores it on
Twitter-2017 test and Twitter-2015 valid (its OTHER read as the model's MISC: one type under
two names, see labels.TYPE_ALIASES).

Training sets (`--data`):
  t17      Twitter-2017 train; epochs chosen on Twitter-2017 valid
  t15      Twitter-2015 train but its last 400 posts; epochs chosen on those 400 (t15-dev),
           so Twitter-2015 valid is never used to choose anything
  both     t17 + t15 train; epochs chosen on Twitter-2017 valid + t15-dev
  t17-10   10% of Twitter-2017 train (seeded, as benchmarks/student.py), valid as t17
  t17u15   t17, plus every Twitter-2015 train post as an unlabelled post (kd only: its gold is
           never read; the teacher's marginals on it teach); valid as t17. Twitter-2015 valid is
           then no longer an unseen domain: those figures are not cross-domain ones

Kinds of run: `knowledge` (post + CoT, at test time too; the teachers), `text` (the twin),
`kd` (text view with conditioned prompts, KL from frozen knowledge teachers' marginals on
every post with CoT: for t17-10 that includes the 90% of posts whose labels it never sees),
`kd0` (kd with no soft prompts: the bare encoder's shape, the text twin's inference cost;
`kd0-l` the same over 16 epochs, patience 4; `kd0-t42` a student seed other than 42 of the seed-42
teacher),
`distill` (the paper's joint two-view training). Runs named `-m-` put made-up @mentions,
tagged O, into half the training posts (student/mention_noise.py): Twitter-2017 was published
with its mentions removed, and this is how a student trained on it alone learns what one is.
Every run writes
benchmarks/results/real_tweets/<id>.json; `--report` gathers them into
benchmarks/results/real_tweets.json and a table.

    nice python benchmarks/real_tweets.py --only teacher-both-s42,text-both-s42,kd-both-s42
    python benchmarks/real_tweets.py --report
    python benchmarks/real_tweets.py --smoke --only kd-t17-s42   # a few steps, to check the script
    python benchmarks/real_tweets.py --ship distill-both-s42     # make a measured run the shipped default

On a machine with a GPU, several runs share it (each run waits for the teachers it reads):
    python benchmarks/real_tweets.py --workers 10 --deadline-s 450 --out /tmp/rt --only ...
    python benchmarks/real_tweets.py --report --runs benchmarks/results/device/real_tweets-h200
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import random
import statistics
import time
import traceback
from dataclasses import replace
from pathlib import Path

from _common import RESULTS, Deadline, write_result

RUNS = RESULTS / "real_tweets"
CKPT = Path.home() / ".cache" / "cot-explorer-bench" / "real_tweets"
T15_DEV = 400  # the last posts of Twitter-2015 train, held out to choose epochs

BASE = dict(epochs=10, patience=3, batch_size=16, lr=1e-4, head_lr=1e-3, knowledge_budget=160, n_prompts=4,
            lam=0.5, temperature=2.0)
RECIPE = dict(epochs=15, patience=4, crf_lr=1e-2, word_dropout=0.2)   # issue 14, 3c
MENTIONS = 0.5  # share of Twitter-2017 training posts given made-up @mentions (the -m- runs)


def specs() -> list[dict]:
    runs: list[dict] = []
    for data in ("both", "t17", "t15", "t17-10"):
        for seed in (42, 43, 44):
            runs.append({"id": f"teacher-{data}-s{seed}", "kind": "knowledge", "data": data, "seed": seed,
                         "save": True, "epochs": 5 if data != "t17-10" else 10})
            runs.append({"id": f"text-{data}-s{seed}", "kind": "text", "data": data, "seed": seed, "save": True})
            runs.append({"id": f"kd-{data}-s{seed}", "kind": "kd", "data": data, "seed": seed, "save": True,
                         "teachers": [f"teacher-{data}-s{seed}"]})
            runs.append({"id": f"distill-{data}-s{seed}", "kind": "distill", "data": data, "seed": seed, "save": True,
                         "epochs": 7})
            runs.append({"id": f"text-r-{data}-s{seed}", "kind": "text", "data": data, "seed": seed, "save": True,
                         **RECIPE})
            runs.append({"id": f"kd-r-{data}-s{seed}", "kind": "kd", "data": data, "seed": seed, "save": True,
                         "teachers": [f"teacher-{data}-s{seed}"], **RECIPE})
            runs.append({"id": f"kd0-{data}-s{seed}", "kind": "kd", "data": data, "seed": seed, "save": True,
                         "teachers": [f"teacher-{data}-s{seed}"], "n_prompts": 0})
            # the same with a longer schedule: kd0-both-s42's valid F1 still crept up at its last epoch
            runs.append({"id": f"kd0-l-{data}-s{seed}", "kind": "kd", "data": data, "seed": seed, "save": True,
                         "teachers": [f"teacher-{data}-s{seed}"], "n_prompts": 0, "epochs": 16, "patience": 4})
            # other student seeds of the seed-42 teacher (shipped as models/mner-knowledge): the
            # student's own seed noise, without a 2.3-hour teacher each
            if seed != 42:
                runs.append({"id": f"kd0-t42-{data}-s{seed}", "kind": "kd", "data": data, "seed": seed, "save": True,
                             "teachers": [f"teacher-{data}-s42"], "n_prompts": 0})
            if data == "t17":
                runs.append({"id": f"kd-t17u15-s{seed}", "kind": "kd", "data": "t17u15", "seed": seed,
                             "save": True, "teachers": [f"teacher-t17-s{seed}"]})
                # Twitter-2017 with made-up @mentions put back (student/mention_noise.py): cross-domain
                for kind in ("text", "distill"):
                    runs.append({"id": f"{kind}-m-t17-s{seed}", "kind": kind, "data": "t17", "seed": seed,
                                 "save": True, "mention_noise": MENTIONS, **({"epochs": 7} if kind == "distill" else {})})
        runs.append({"id": f"kd-ens-{data}-s42", "kind": "kd", "data": data, "seed": 42, "save": True,
                     "teachers": [f"teacher-{data}-s{s}" for s in (42, 43, 44)]})
    return runs


def load_sets(data: str, seed: int, smoke: bool) -> dict:
    """train, select (chooses the epoch), and the two evaluation sets, all in MISC names."""
    from cot_explorer.labels import mner_schema_for
    from cot_explorer.paths import data_dir
    from cot_explorer.student.data import mner_examples_from_files

    root, misc = data_dir(), mner_schema_for("twitter2017")
    t17 = {s: mner_examples_from_files(root, "twitter2017", s, schema=misc) for s in ("train", "valid", "test")}
    t15_train = mner_examples_from_files(root, "twitter2015", "train", schema=misc)
    t15_valid = mner_examples_from_files(root, "twitter2015", "valid", schema=misc)
    t15_fit, t15_dev = t15_train[:-T15_DEV], t15_train[-T15_DEV:]
    unlabelled: list = []
    if data == "t17":
        train, select = t17["train"], t17["valid"]
    elif data == "t17u15":
        train, select = t17["train"], t17["valid"]
        unlabelled = [replace(ex, spans=(), labelled=False) for ex in t15_train]
    elif data == "t15":
        train, select = t15_fit, t15_dev
    elif data == "both":
        train, select = t17["train"] + t15_fit, t17["valid"] + t15_dev
    elif data == "t17-10":
        k = max(1, round(len(t17["train"]) * 0.1))
        train = random.Random(seed).sample(list(t17["train"]), k)
        kept = {ex.post_id for ex in train}
        unlabelled = [replace(ex, spans=(), labelled=False) for ex in t17["train"] if ex.post_id not in kept]
        select = t17["valid"]
    else:
        raise SystemExit(f"unknown data {data!r}")
    sets = {"train": train, "unlabelled": unlabelled, "select": select,
            "t17_test": t17["test"], "t15_valid": t15_valid}
    if smoke:
        sets = {k: v[:40] for k, v in sets.items()}
    return sets


def teacher_path(ckpt: Path, run_id: str) -> Path:
    """Where a kd run reads its frozen teacher: the cached checkpoint, or, when the cache was
    lost with the machine, the shipped models/mner-knowledge if that is the same run (`--ship`
    copies it whole), so a new student of the shipped teacher needs no 2-hour retraining."""
    cached = ckpt / run_id
    if cached.exists():
        return cached
    from cot_explorer.student.manifest import Manifest
    from cot_explorer.student.registry import SHIPPED_KNOWLEDGE, shipped_dir

    shipped = shipped_dir() / SHIPPED_KNOWLEDGE
    if shipped.exists() and Manifest.read(shipped).training.get("run") == run_id:
        return shipped
    raise SystemExit(f"teacher {run_id} is neither cached in {ckpt} nor shipped; run --only {run_id} first")


def run_one(spec: dict, smoke: bool, threads: int, deadline: float = float("inf")) -> dict:
    import torch

    from cot_explorer.student.checkpoint import load_checkpoint, save_checkpoint
    from cot_explorer.student.config import TrainConfig
    from cot_explorer.student.teacher_targets import kd_training_set
    from cot_explorer.student.train import train_student

    torch.set_num_threads(threads)
    ckpt = CKPT / "smoke" if smoke else CKPT
    sets = load_sets(spec["data"], spec["seed"], smoke)
    params = {**BASE, **{k: spec[k] for k in ("epochs", "patience", "crf_lr", "word_dropout", "lr", "n_prompts",
                                                         "mention_noise")
                         if k in spec}}
    if "epochs" in spec and "patience" not in spec:
        params["patience"] = min(params["patience"], spec["epochs"])
    cfg = TrainConfig(task="mner", variant=spec["kind"], seed=spec["seed"], **params)
    if smoke:
        cfg = replace(cfg, epochs=1, knowledge_budget=32)
    train = sets["train"]
    t0 = time.time()
    if cfg.variant == "kd":
        teachers = [load_checkpoint(teacher_path(ckpt, t)) for t in spec["teachers"]]
        train = kd_training_set(teachers, train, sets["unlabelled"], cfg.temperature)
        del teachers
    targets_s = time.time() - t0
    res = train_student(cfg, train, sets["select"], callback=Deadline(deadline), progress=False)
    if res.best_epoch < 1:  # cut before its first evaluation: nothing chosen, nothing to score or teach with
        return {"spec": spec, "skipped": "deadline before the first epoch ended"}
    device = next(res.model.parameters()).device
    scores = {name: res.task.evaluate(res.model, sets[name], cfg, device) for name in ("t17_test", "t15_valid")}
    out = {"spec": spec, "config": cfg.to_json(), "best_epoch": res.best_epoch, "stopped": res.stopped,
           "select": res.best_valid, **scores, "history": res.history,
           "seconds_per_epoch": res.seconds_per_epoch, "soft_target_seconds": round(targets_s, 1),
           "wall_s": round(time.time() - t0, 1), "n_train_labelled": sum(ex.labelled for ex in train),
           "n_train": len(train), "threads": threads, "device": str(device)}
    if spec.get("save"):
        path = save_checkpoint(ckpt, spec["id"], res.model, cfg, res.task.tags,
                               {"metrics": {"valid": res.best_valid, "test": scores["t17_test"],
                                            "t15_valid": scores["t15_valid"]},
                                "training": {"data": spec["data"], "command": "python benchmarks/real_tweets.py"}},
                               dtype="float16", replace=True)
        out["checkpoint"] = str(path)
    return out


def fmt(xs: list[float]) -> str:
    if not xs:
        return "-"
    return f"{xs[0]:.2f}" if len(xs) == 1 else f"{statistics.mean(xs):.2f} ± {statistics.stdev(xs):.2f}"


def report(runs: Path = RUNS) -> None:
    """The table of one folder of runs: the CPU runs (the default) or one machine's batch."""
    records = [json.loads(p.read_text()) for p in sorted(runs.glob("*.json"))]
    ok = [r for r in records if "t17_test" in r and not r.get("smoke")]
    groups: dict[str, list[dict]] = {}
    for r in ok:
        groups.setdefault(r["spec"]["id"].rsplit("-s", 1)[0], []).append(r)
    lines = ["| run | seeds | T17 test F1 | T15 valid F1 (OTHER as MISC) | selection F1 | best epoch | s/epoch |",
             "|---|---|---|---|---|---|---|"]
    summary = {}
    for key in sorted(groups):
        rs = groups[key]
        t17 = [r["t17_test"]["f1"] for r in rs]
        t15 = [r["t15_valid"]["f1"] for r in rs]
        summary[key] = {"seeds": [r["spec"]["seed"] for r in rs], "t17_test_f1": t17, "t15_valid_f1": t15,
                        "machine": sorted({r.get("machine", {}).get("processor", "?") for r in rs})}
        lines.append(f"| {key} | {len(rs)} | {fmt(t17)} | {fmt(t15)} | {fmt([r['select']['f1'] for r in rs])} | "
                     f"{', '.join(str(r['best_epoch']) + ('†' if r.get('stopped') == 'cancelled' else '') for r in rs)} | "
                     f"{statistics.mean(s for r in rs for s in r['seconds_per_epoch']):.0f} |")
    lines.append("")
    lines.append("† cut short by `--deadline-s`: scored at its best epoch on the selection set so far")
    name = "real_tweets" if runs == RUNS else runs.with_suffix(".json")
    write_result(name, {"benchmark": "real_tweets", "summary": summary, "runs": ok}, "\n".join(lines))


def _ship_folder(src: Path, name: str):
    """Copy a checkpoint in whole to models/<name> (the old one replaced only once the new one
    is complete; its ONNX exports are built afresh) and return its manifest, to be written."""
    import os
    import shutil

    from cot_explorer.student.manifest import Manifest
    from cot_explorer.student.registry import shipped_dir

    dst = shipped_dir() / name
    new, old = dst.with_name(f".{name}.new"), dst.with_name(f".{name}.old")
    for leftover in (new, old):
        shutil.rmtree(leftover, ignore_errors=True)
    shutil.copytree(src, new, ignore=shutil.ignore_patterns("onnx"))
    m = Manifest.read(new)
    m.name = name
    m.extra.pop("onnx", None)

    def commit() -> Path:
        m.write(new)
        if dst.exists():
            os.replace(dst, old)
        os.replace(new, dst)
        shutil.rmtree(old, ignore_errors=True)
        return dst
    return m, commit


def ship(run_id: str) -> None:
    """Make a measured run models/mner-default, its manifest saying what it was trained and
    scored on. A kd run ships with its first teacher as models/mner-knowledge: the app shows
    that knowledge view beside the text-only answer (a kd student has no view of its own that
    reads the CoT). Their ONNX verdicts are measured afresh (`cot-explorer models quantize`)."""
    from cot_explorer.student.registry import SHIPPED_KNOWLEDGE, shipped_dir

    rec = json.loads((RUNS / f"{run_id}.json").read_text())
    if "t17_test" not in rec:
        raise SystemExit(f"{run_id} has no measured result to ship")
    m, commit = _ship_folder(CKPT / run_id, "mner-default")
    m.metrics = {"valid": rec["select"], "test": rec["t17_test"], "t15_valid": rec["t15_valid"]}
    data = rec["spec"]["data"]
    m.training = {**m.training, "run": run_id, "best_epoch": rec["best_epoch"],
                  "command": f"python benchmarks/real_tweets.py --only {run_id} && "
                             f"python benchmarks/real_tweets.py --ship {run_id}",
                  "data": TRAINING_DATA.get(data, data), "machine": rec.get("machine", {})}
    teachers = rec["spec"].get("teachers") or []
    if rec["spec"]["kind"] == "kd" and teachers:
        t_rec = json.loads((RUNS / f"{teachers[0]}.json").read_text())
        tm, t_commit = _ship_folder(CKPT / teachers[0], SHIPPED_KNOWLEDGE)
        tm.metrics = {"valid": t_rec["select"], "test": t_rec["t17_test"], "t15_valid": t_rec["t15_valid"]}
        tm.training = {**tm.training, "run": teachers[0], "best_epoch": t_rec["best_epoch"],
                       "command": f"python benchmarks/real_tweets.py --only {teachers[0]}",
                       "data": TRAINING_DATA.get(data, data), "machine": t_rec.get("machine", {})}
        m.training.update(teachers=[SHIPPED_KNOWLEDGE], teacher_runs=teachers)
        t_commit()
        print(f"shipped {teachers[0]} as {SHIPPED_KNOWLEDGE} (with CoT: Twitter-2017 test {t_rec['t17_test']['f1']})")
    else:   # a knowledge view of its own (distill) or none: a teacher shipped for an earlier kd default goes
        import shutil

        shutil.rmtree(shipped_dir() / SHIPPED_KNOWLEDGE, ignore_errors=True)
    dst = commit()
    from seen_posts import write_for  # beside this script: the posts it learnt, never held out by a round

    write_for("mner-default", data, rec["spec"]["seed"])
    if rec["spec"]["kind"] == "kd" and teachers:   # the teacher's own run: its data and seed
        write_for(SHIPPED_KNOWLEDGE, t_rec["spec"]["data"], t_rec["spec"]["seed"])
    print(f"shipped {run_id} as {dst}: Twitter-2017 test {rec['t17_test']['f1']}, "
          f"Twitter-2015 valid {rec['t15_valid']['f1']}; now run `cot-explorer models quantize mner-default`")


TRAINING_DATA = {
    "both": (f"Twitter-2017 train (3,373 posts) + Twitter-2015 train less its last {T15_DEV} posts, in MISC "
             f"names; epoch chosen on Twitter-2017 valid + those {T15_DEV} posts; the knowledge view reads "
             "the recorded ChatGPT reasoning (PGIM) plus the BLIP-2 caption, budget 160 sub-tokens"),
}


def run_safely(spec: dict, smoke: bool, threads: int, deadline: float) -> dict:
    """One run in a worker process: its record, or its error, never an exception."""
    if time.time() > deadline - 30:
        return {"spec": spec, "skipped": "deadline"}
    try:
        return run_one(spec, smoke, threads, deadline)
    except Exception:
        return {"spec": spec, "error": traceback.format_exc()}


def schedule(specs: list[dict], workers: int, smoke: bool, threads: int, deadline: float):
    """Yield each run's record as it ends; a kd run starts once the teachers it reads are
    trained (in this batch or earlier), and is skipped when one of them failed."""
    from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait

    in_batch = {s["id"] for s in specs}
    done: set[str] = set()
    failed: set[str] = set()
    waiting = list(specs)
    running: dict = {}
    with ProcessPoolExecutor(max_workers=workers, mp_context=mp.get_context("spawn")) as pool:
        while waiting or running:
            for spec in list(waiting):
                needs = [t for t in spec.get("teachers", []) if t in in_batch]
                if any(t in failed for t in needs):
                    waiting.remove(spec)
                    failed.add(spec["id"])
                    yield {"spec": spec, "skipped": f"a teacher failed: {sorted(set(needs) & failed)}"}
                elif all(t in done for t in needs) and len(running) < workers:
                    waiting.remove(spec)
                    running[pool.submit(run_safely, spec, smoke, threads, deadline)] = spec
            finished, _ = wait(list(running), return_when=FIRST_COMPLETED)
            for fut in finished:
                spec = running.pop(fut)
                rec = fut.result()
                (done if "t17_test" in rec else failed).add(spec["id"])
                yield rec


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--only", help="comma-separated run ids, run in this order")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--workers", type=int, default=1, help="runs at a time (a GPU is shared by them)")
    ap.add_argument("--deadline-s", type=float, default=7 * 24 * 3600,
                    help="runs still training then stop and are scored at their best epoch so far")
    ap.add_argument("--out", type=Path, default=RUNS, help="where each run's JSON goes")
    ap.add_argument("--runs", type=Path, default=RUNS, help="with --report: the folder of runs to tabulate")
    ap.add_argument("--smoke", action="store_true")
    ap.add_argument("--report", action="store_true")
    ap.add_argument("--force", action="store_true", help="run again a run that already has a result")
    ap.add_argument("--ship", metavar="RUN_ID", help="make this measured run models/mner-default")
    args = ap.parse_args()
    if args.report:
        report(args.runs)
        return
    if args.ship:
        ship(args.ship)
        return
    by_id = {s["id"]: s for s in specs()}
    ids = args.only.split(",") if args.only else list(by_id)
    unknown = [i for i in ids if i not in by_id]
    if unknown:
        raise SystemExit(f"unknown run ids: {unknown}")
    args.out.mkdir(parents=True, exist_ok=True)
    todo = []
    for run_id in ids:
        done = args.out / f"{run_id}.json"
        if done.exists() and "t17_test" in json.loads(done.read_text()) and not args.force and not args.smoke:
            print(f"[{run_id}] already measured: {args.out / run_id}.json")
        else:
            todo.append(by_id[run_id])
    deadline = time.time() + args.deadline_s
    if args.workers > 1:
        import torch  # noqa: F401 - so that write_result names the GPU the workers share

        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        records = schedule(todo, args.workers, args.smoke, args.threads, deadline)
    else:
        records = (run_safely(spec, args.smoke, args.threads, deadline) for spec in todo)
    for rec in records:
        run_id = rec["spec"]["id"]
        if args.smoke:
            print(json.dumps({k: rec.get(k) for k in ("spec", "best_epoch", "t17_test", "error", "skipped")},
                             default=str)[:800], flush=True)
            continue
        write_result(args.out / f"{run_id}.json", {"benchmark": "real_tweets", **rec})
        print(f"[{run_id}] " + (f"T17 test {rec['t17_test']['f1']}, T15 valid {rec['t15_valid']['f1']}"
                                if "t17_test" in rec else rec.get("skipped") or rec["error"][-800:]), flush=True)


if __name__ == "__main__":
    main()
