"""Benchmark: the shipped entity student on this machine's CPU, every inference backend side
by side in one run. Writes benchmarks/results/inference.json and prints a table.

For each backend (PyTorch fp32, PyTorch bf16 where the CPU has native bf16, ONNX Runtime
fp32, ONNX Runtime int8), in a process of its own so its resident memory is its own:
- p50 / p90 latency per post at batch 1, end to end (word pieces, encoder, CRF, spans);
- throughput at batch 32 over Twitter-2017 test, end to end;
- the bare encoder of the same backend over the same batches (PyTorch: the encoder module;
  ONNX Runtime: the encoder alone exported; int8: plain dynamic quantisation of every layer
  MatMul, the bare int8 of issue 13's table, no smoothing, no fp32 re-reads), and the ratio;
- Twitter-2017 test F1, so no speed is bought with accuracy unseen; resident memory.
Rounds are interleaved (a noisy minute hits every backend alike) and medians reported.
Then the cold start: `cot-explorer predict` from launch to its first line, per backend, and
`python app.py` from launch to its first page on an existing store.

    python benchmarks/inference.py [--threads 2] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from _common import write_result

ROOT = Path(__file__).resolve().parents[1]
BACKENDS = ("torch-fp32", "torch-bf16", "onnx-fp32", "onnx-int8")


# -- one backend, in its own process ------------------------------------------------------------

def _bare_encoder_onnx(checkpoint: Path, precision: str) -> Path:
    """The encoder alone as ONNX (same opset; int8: every layer MatMul, plainly), cached."""
    import torch

    from cot_explorer.student.backbone import load_backbone
    from cot_explorer.student.onnx_export import OPSET, export_dir, int8_nodes, quantize_nodes

    out = export_dir(checkpoint) / f"bare-encoder-{precision}.onnx"
    if out.exists():
        return out
    out.parent.mkdir(parents=True, exist_ok=True)
    fp32 = export_dir(checkpoint) / "bare-encoder-fp32.onnx"
    if not fp32.exists():
        _, backbone = load_backbone()

        class Encoder(torch.nn.Module):  # keyword arguments: the model's positional order is not ours
            def __init__(self):
                super().__init__()
                self.enc = backbone

            def forward(self, input_ids, attention_mask, token_type_ids):
                return self.enc(input_ids=input_ids, attention_mask=attention_mask,
                                token_type_ids=token_type_ids).last_hidden_state

        enc = Encoder().eval()
        args = tuple(torch.ones(2, 7, dtype=torch.long) for _ in range(3))
        dyn = {n: {0: "batch", 1: "tokens"} for n in ("input_ids", "attention_mask", "token_type_ids", "hidden")}
        torch.onnx.export(enc, args, str(fp32), input_names=["input_ids", "attention_mask", "token_type_ids"],
                          output_names=["hidden"], dynamic_axes=dyn, opset_version=OPSET, dynamo=False)
    if precision == "int8":   # the bare int8: plain dynamic quantisation of every layer MatMul
        import onnx

        quantize_nodes(fp32, out, int8_nodes(onnx.load(str(fp32), load_external_data=False).graph, keeps_fp32=None))
    return out


def measure_one(backend: str, checkpoint: Path, repeat_throughput: int = 5) -> dict:
    import numpy as np
    import psutil

    from cot_explorer.evaluate import score_spans
    from cot_explorer.paths import data_dir
    from cot_explorer.student.data import mner_examples_from_files

    test = mner_examples_from_files(data_dir(), "twitter2017", "test", with_knowledge=False)
    words = [list(ex.words) for ex in test]
    rss0 = psutil.Process().memory_info().rss
    if backend.startswith("torch"):
        from cot_explorer.student.torch_predictor import TorchPredictor

        predictor = TorchPredictor.load(checkpoint, dtype=backend.split("-")[1])
    else:
        from cot_explorer.student.onnx_predictor import OnnxPredictor

        predictor = OnnxPredictor(checkpoint, backend.split("-")[1])
    for w in words[:20]:
        predictor.predict_entities([w])
    lat = []
    for w in words[:400]:
        t0 = time.perf_counter()
        predictor.predict_entities([w])
        lat.append(1000 * (time.perf_counter() - t0))
    lat.sort()
    predictor.predict_entities(words[:64])
    e2e = min(_timed(lambda: predictor.predict_entities(words)) for _ in range(repeat_throughput))
    pred = predictor.predict_entities(words)
    f1 = score_spans([ex.spans for ex in test], [[p.span() for p in ps] for ps in pred]).f1
    rss = psutil.Process().memory_info().rss

    # the bare encoder of the same backend, over the batches the predictor makes
    aligner = predictor.loaded.task.aligner if backend.startswith("torch") else predictor.aligner
    by_len = sorted(words, key=aligner.n_subtokens)
    batches = [aligner.encode_lists(by_len[i : i + 32]) for i in range(0, len(by_len), 32)]
    if backend.startswith("torch"):
        import torch

        from cot_explorer.student.inference_dtype import autocast

        enc = predictor.loaded.model.encoder
        tensors = [(torch.tensor(b.input_ids), torch.tensor(b.attention_mask), torch.tensor(b.token_type_ids))
                   for b in batches]

        def bare():
            with torch.inference_mode(), autocast(predictor.dtype):
                for i, a, t in tensors:
                    enc(input_ids=i, attention_mask=a, token_type_ids=t)

        def bare_one(b):
            with torch.inference_mode(), autocast(predictor.dtype):
                enc(input_ids=b[0], attention_mask=b[1], token_type_ids=b[2])
        singles = [tuple(torch.tensor(x) for x in (a.input_ids, a.attention_mask, a.token_type_ids))
                   for a in (aligner.encode_lists([w]) for w in words[:400])]
    else:
        from cot_explorer.student.onnx_predictor import _session

        sess = _session(_bare_encoder_onnx(checkpoint, backend.split("-")[1]))
        arrays = [{"input_ids": np.asarray(b.input_ids), "attention_mask": np.asarray(b.attention_mask),
                   "token_type_ids": np.asarray(b.token_type_ids)} for b in batches]

        def bare():
            for feed in arrays:
                sess.run(None, feed)

        def bare_one(feed):
            sess.run(None, feed)
        singles = [{"input_ids": np.asarray(a.input_ids), "attention_mask": np.asarray(a.attention_mask),
                    "token_type_ids": np.asarray(a.token_type_ids)} for a in (aligner.encode_lists([w]) for w in words[:400])]
    bare()
    bare_s = min(_timed(bare) for _ in range(repeat_throughput))
    bare_lat = []
    for s in singles:
        t0 = time.perf_counter()
        bare_one(s)
        bare_lat.append(1000 * (time.perf_counter() - t0))
    p50 = statistics.median(lat)
    return {"backend": predictor.backend if not backend.startswith("torch") else f"torch-{predictor.dtype}",
            "p50_ms": round(p50, 2), "p90_ms": round(lat[int(0.9 * len(lat))], 2),
            "throughput_batch32": round(len(words) / e2e, 1), "test_f1": round(f1, 2),
            "bare_encoder_p50_ms": round(statistics.median(bare_lat), 2),
            "bare_encoder_throughput_batch32": round(len(words) / bare_s, 1),
            "over_bare_encoder": round(e2e / bare_s, 3), "over_bare_encoder_batch1": round(p50 / statistics.median(bare_lat), 3),
            "rss_mb": round(rss / 1e6), "rss_model_mb": round((rss - rss0) / 1e6)}


def _timed(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


# -- cold starts --------------------------------------------------------------------------------

def predict_cold_start(backend: str, home: Path) -> float:
    """Seconds from launching `cot-explorer predict` to its first line of output."""
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "cot_explorer.cli", "--home", str(home), "predict", "--backend", backend],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, cwd=ROOT)
    proc.stdin.write(json.dumps({"text": "Obama visits Paris with Macron"}) + "\n")
    proc.stdin.close()
    proc.stdout.readline()
    took = time.perf_counter() - t0
    proc.wait()
    return round(took, 2)


def app_cold_start(user_home: Path) -> float:
    """Seconds from `python app.py` to its first page, on a store that exists already."""
    from cot_explorer.devtools.harness import free_port

    port = free_port()
    env = {**os.environ, "HOME": str(user_home), "GRADIO_SERVER_PORT": str(port), "GRADIO_ANALYTICS_ENABLED": "False"}
    env.pop("COT_EXPLORER_HOME", None)
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "app.py"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=1) as r:
                    if r.status == 200:
                        return round(time.perf_counter() - t0, 2)
            except OSError:
                time.sleep(0.05)
            if proc.poll() is not None or time.perf_counter() - t0 > 120:
                raise RuntimeError("the app did not start")
    finally:
        proc.terminate()
        proc.wait(timeout=30)


# -- the run ------------------------------------------------------------------------------------

def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=3, help="rounds of each backend; medians are reported")
    ap.add_argument("--model", default=None)
    ap.add_argument("--measure", help=argparse.SUPPRESS)   # one backend, in a child process
    args = ap.parse_args()
    from cot_explorer.student.registry import shipped_dir

    checkpoint = Path(args.model) if args.model else shipped_dir() / "mner-default"
    os.environ["COT_EXPLORER_THREADS"] = str(args.threads)
    if args.measure:
        import torch

        torch.set_num_threads(args.threads)
        print(json.dumps(measure_one(args.measure, checkpoint)))
        return

    from cot_explorer.student.inference import choose_backend
    from cot_explorer.student.inference_dtype import cpu_has_native_bf16
    from cot_explorer.student.manifest import Manifest
    from cot_explorer.student.onnx_export import ensure_export

    ensure_export(checkpoint, "fp32")
    ensure_export(checkpoint, "int8")
    backends = [b for b in BACKENDS if b != "torch-bf16" or cpu_has_native_bf16()]
    rounds: dict[str, list[dict]] = {b: [] for b in backends}
    for _ in range(args.repeat):
        for b in backends:
            out = subprocess.run([sys.executable, __file__, "--measure", b, "--threads", str(args.threads),
                                  "--model", str(checkpoint)], capture_output=True, text=True, cwd=ROOT, check=True)
            rounds[b].append(json.loads(out.stdout.strip().splitlines()[-1]))
            print(b, rounds[b][-1], flush=True)
    medians = {b: {k: (statistics.median(r[k] for r in rs) if isinstance(rs[0][k], (int, float)) else rs[0][k])
                   for k in rs[0]} for b, rs in rounds.items()}
    manifest = Manifest.read(checkpoint)
    chosen = choose_backend(manifest, "auto")
    keys = {"onnx": "onnx-fp32", "onnx-int8": "onnx-int8", "torch": "torch-bf16" if cpu_has_native_bf16() else "torch-fp32"}
    chosen_key = keys[chosen]
    # auto in bulk: `predict` over a file (the app keeps fp32 answers: `consistent`, its onnx row)
    bulk_key = keys[choose_backend(manifest, "auto", bulk=True)]
    reference_key = "torch-bf16" if cpu_has_native_bf16() else "torch-fp32"   # today's path: what `auto` meant before
    home = Path(tempfile.mkdtemp(prefix="bench-home-"))
    try:
        cold = {b: statistics.median(predict_cold_start(b, home) for _ in range(3)) for b in ("torch", "onnx")}
        cold["auto"] = statistics.median(predict_cold_start("auto", home) for _ in range(3))
        user = Path(tempfile.mkdtemp(prefix="bench-user-"))
        app_cold_start(user)   # the first start creates the store (the demo import): not what is measured
        app_s = statistics.median(app_cold_start(user) for _ in range(3))
        shutil.rmtree(user, ignore_errors=True)
    finally:
        shutil.rmtree(home, ignore_errors=True)
    c, ref = medians[chosen_key], medians[reference_key]
    ratios = {"p50_vs_torch": round(c["p50_ms"] / ref["p50_ms"], 3),
              "throughput_vs_torch": round(c["throughput_batch32"] / ref["throughput_batch32"], 3),
              "over_bare_encoder": c["over_bare_encoder"],
              "bulk_throughput_vs_torch": round(medians[bulk_key]["throughput_batch32"] / ref["throughput_batch32"], 3)}
    targets = {"p50_vs_torch_at_most": 0.5, "throughput_vs_torch_at_least": 1.3, "over_bare_encoder_at_most": 1.15,
               "predict_first_line_s_at_most": 1.5, "app_first_page_s_at_most": 4.0}
    payload = {"benchmark": "inference", "model": str(checkpoint.relative_to(ROOT)) if checkpoint.is_relative_to(ROOT) else str(checkpoint),
               "threads": args.threads, "rounds": args.repeat, "posts": "Twitter-2017 test (723)",
               "backends": medians, "per_round": rounds, "chosen_backend": chosen_key, "chosen_backend_bulk": bulk_key,
               "torch_reference": reference_key,
               "chosen_vs_torch": ratios, "cold_start_s": {"predict_first_line": cold, "app_first_page": app_s},
               "int8_record": manifest.extra.get("onnx", {}).get("int8"), "targets": targets}
    lines = ["| backend | p50 ms (batch 1) | p90 ms | posts/s (batch 32) | × bare encoder (batch 32 / 1) | test F1 | RSS MB |",
             "|---|---|---|---|---|---|---|"]
    for b, m in medians.items():
        mark = " (chosen)" if b == chosen_key else " (today's path)" if b == reference_key else ""
        lines.append(f"| {b}{mark} | {m['p50_ms']} | {m['p90_ms']} | {m['throughput_batch32']} | "
                     f"{m['over_bare_encoder']} / {m['over_bare_encoder_batch1']} | {m['test_f1']} | {m['rss_mb']} |")
    lines.append("")
    lines.append(f"auto in bulk (predict over a file; the app keeps onnx fp32 answers): {bulk_key}")
    lines.append(f"chosen {chosen_key}: p50 ×{ratios['p50_vs_torch']} and throughput ×{ratios['throughput_vs_torch']} "
                 f"of {reference_key}; predict's first line: " + ", ".join(f"{k} {v} s" for k, v in cold.items())
                 + f"; app's first page {app_s} s")
    write_result("inference", payload, "\n".join(lines))


if __name__ == "__main__":
    main()
