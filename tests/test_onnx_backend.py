"""The ONNX Runtime backend: the same answers as PyTorch (fp32: identical spans on
Twitter-2017 valid; int8: its agreement measured, and used only where it qualified), exports
cached by the weights' hash and rebuilt when stale, backends chosen by flag or environment,
no PyTorch imported by an ONNX prediction, bulk prediction from file to file, and
cross-dataset evaluation in the file's own type names."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from cot_explorer.datasets.twitter_conll import read_twitter_conll
from cot_explorer.errors import CotExplorerError
from cot_explorer.labels import mner_schema_for
from cot_explorer.paths import twitter_file
from cot_explorer.student.inference import INT8_MIN_AGREEMENT, choose_backend, cpu_reports_bf16, load_predictor
from cot_explorer.student.manifest import Manifest
from cot_explorer.student.onnx_export import ensure_export, export_dir, weights_hash
from cot_explorer.student.registry import shipped_dir

from .student_fixtures import make_tiny_backbone, toy_examples
from .test_cli import cli

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = shipped_dir() / "mner-default"


def spans(predictions) -> set:
    return {(i, s.start, s.end, s.type) for i, ps in enumerate(predictions) for s in ps}


@pytest.fixture(scope="module")
def valid_posts():
    parsed = read_twitter_conll(twitter_file("twitter2017", "valid"), "twitter2017", "valid",
                                mner_schema_for("twitter2017"))
    return [it.post.tokens for it in parsed.posts]


def test_onnx_fp32_gives_the_spans_of_torch_fp32_on_twitter2017_valid(valid_posts):
    torch_p = load_predictor(SHIPPED, "torch", "fp32")
    onnx_p = load_predictor(SHIPPED, "onnx")
    a, b = torch_p.predict_entities(valid_posts), onnx_p.predict_entities(valid_posts)
    assert onnx_p.backend == "onnx-fp32" and spans(a) == spans(b) and len(spans(a)) > 1000
    conf_a = [s.confidence for ps in a for s in ps]
    conf_b = [s.confidence for ps in b for s in ps]
    assert max(abs(x - y) for x, y in zip(conf_a, conf_b)) < 1e-3


def test_int8_agreement_is_measured_and_int8_serves_only_where_it_qualified(valid_posts):
    from cot_explorer.student.onnx_export import INT8_METHOD
    from cot_explorer.student.onnx_predictor import OnnxPredictor

    manifest = Manifest.read(SHIPPED)
    record = manifest.extra["onnx"]["int8"]
    assert {"f1_loss", "fp32_answers_kept", "answers_not_in_fp32", "qualifies", "recheck_below"} <= record.keys()
    fp32 = spans(load_predictor(SHIPPED, "onnx").predict_entities(valid_posts))
    int8 = OnnxPredictor(SHIPPED, "int8")
    assert int8.recheck_below == record["recheck_below"] > 0   # the threshold measured, not a default
    alone, sure = int8.entities_with_certainty(valid_posts, 0.0)
    served = spans(int8.predict_entities(valid_posts))
    kept_alone = 100 * len(fp32 & spans(alone)) / len(fp32)
    kept = 100 * len(fp32 & served) / len(fp32)
    rechecked = 100 * sum(x < int8.recheck_below for x in sure) / len(sure)
    print(f"int8 alone keeps {kept_alone:.2f} % of fp32's spans on Twitter-2017 valid; re-reading the "
          f"{rechecked:.1f} % of posts it is unsure of, {kept:.2f} %")   # reported (pytest -s)
    assert kept >= INT8_MIN_AGREEMENT  # the issue asks at least 99 % of fp32's spans here
    assert kept > kept_alone and rechecked < 50   # the re-reading is what lifts it, and most posts stay int8
    qualifies = record["qualifies"]
    assert qualifies == (record["f1_loss"] <= 0.3 and record["fp32_answers_kept"] >= INT8_MIN_AGREEMENT
                         and 100 - record["answers_not_in_fp32"] >= INT8_MIN_AGREEMENT)
    auto = choose_backend(manifest, "auto")
    assert auto == ("onnx-int8" if qualifies and record["faster_than_fp32"] else "onnx")
    other_method = Manifest.from_json({**manifest.to_json(), "onnx": {**manifest.extra["onnx"],
                                       "int8": {**record, "method": INT8_METHOD + " (an older one)"}}})
    assert not choose_backend(other_method, "auto").endswith("int8")   # a verdict on another method is none
    if not qualifies:
        with pytest.raises(CotExplorerError, match="no int8 export measured within"):
            choose_backend(manifest, "onnx-int8")


def test_the_posts_int8_is_unsure_of_get_fp32s_spans_and_the_rest_keep_int8s(valid_posts):
    """The unsure posts of a whole call are re-read together, out of several int8 batches:
    each answer must still land on its own post."""
    from cot_explorer.student.onnx_predictor import OnnxPredictor

    posts = valid_posts   # int8 is unsure of ~3.5 % of them
    int8 = OnnxPredictor(SHIPPED, "int8", batch_size=8)
    fp32, _ = OnnxPredictor(SHIPPED, "fp32", batch_size=8).entities_with_certainty(posts, 0.0)
    alone, sure = int8.entities_with_certainty(posts, 0.0)

    class CountedRuns:   # the real fp32 session, its runs counted
        def __init__(self, session):
            self.session, self.runs = session, 0

        def run(self, *args, **kwargs):
            self.runs += 1
            return self.session.run(*args, **kwargs)

    fp32_session = int8._fp32_session = CountedRuns(int8._fp32())
    served, _ = int8.entities_with_certainty(posts, int8.recheck_below)
    unsure = {i for i, x in enumerate(sure) if x < int8.recheck_below}
    assert 8 < len(unsure) < len(posts) / 2      # from more than one int8 batch
    assert fp32_session.runs == -(-len(unsure) // 8)   # re-read together, in full batches
    key = lambda ps: [(s.start, s.end, s.type) for s in ps]
    assert all(key(served[i]) == key(fp32[i]) for i in unsure)
    assert all(served[i] == alone[i] for i in range(len(posts)) if i not in unsure)
    assert any(key(alone[i]) != key(fp32[i]) for i in unsure)   # fp32 did change something


def test_a_relation_int8_is_unsure_of_is_answered_by_fp32():
    from cot_explorer.datasets.mnre import read_mnre
    from cot_explorer.paths import mnre_file
    from cot_explorer.student.onnx_predictor import OnnxPredictor

    model = shipped_dir() / "mre-default"
    parsed = read_mnre(mnre_file("valid"), "mnre", "valid")
    items = [(it.post.tokens, r.head, r.tail) for it in parsed.posts for r in it.labels[0].relations][:240]
    fp32 = OnnxPredictor(model, "fp32").predict_relations(items)
    int8 = OnnxPredictor(model, "int8")
    assert int8.recheck_below == Manifest.read(model).extra["onnx"]["int8"]["recheck_below"] > 0
    alone = int8.relations_with_recheck(items, 0.0)
    served = int8.predict_relations(items)
    unsure = [k for k, r in enumerate(alone) if r.confidence < int8.recheck_below]
    assert 0 < len(unsure) < len(items) / 2
    def same(a, b):   # the label, and the probabilities up to the batch's padding
        return a.label == b.label and max(abs(x - y) for x, y in zip(a.distribution, b.distribution)) < 1e-3

    assert all(same(served[k], fp32[k]) for k in unsure)                    # fp32's answer
    assert all(served[k] == alone[k] for k in range(len(items)) if k not in set(unsure))   # the rest stays int8
    assert any(not same(alone[k], fp32[k]) for k in unsure)   # and fp32 did change something


def test_the_backend_comes_from_the_flag_or_the_environment(monkeypatch):
    manifest = Manifest.read(SHIPPED)
    monkeypatch.setenv("COT_EXPLORER_BACKEND", "torch")
    assert choose_backend(manifest) == "torch" and choose_backend(manifest, "onnx") == "onnx"
    monkeypatch.setenv("COT_EXPLORER_BACKEND", "tensorrt")
    with pytest.raises(CotExplorerError, match="backend must be one of"):
        choose_backend(manifest)
    knowledge = Manifest.from_json({**manifest.to_json(), "variant": "knowledge"})
    assert choose_backend(knowledge, "auto") == "torch"
    monkeypatch.delenv("COT_EXPLORER_BACKEND")
    # auto: a qualified int8 for one post and in bulk alike; without one, ONNX fp32 one post at a
    # time and, in bulk, PyTorch bf16 only where the CPU has native bf16
    assert choose_backend(manifest, "auto").startswith("onnx")
    record = manifest.extra["onnx"]["int8"]
    no_int8 = Manifest.from_json({**manifest.to_json(), "onnx": {**manifest.extra["onnx"],
                                  "int8": {**record, "qualifies": False}}})
    assert choose_backend(manifest, "auto", bulk=True) == (
        "onnx-int8" if record["qualifies"] and record["faster_than_fp32"] else
        "torch" if cpu_reports_bf16() else choose_backend(manifest, "auto"))
    slower = Manifest.from_json({**manifest.to_json(), "onnx": {**manifest.extra["onnx"],
                                 "int8": {**record, "qualifies": True, "faster_than_fp32": False}}})
    faster = Manifest.from_json({**manifest.to_json(), "onnx": {**manifest.extra["onnx"],
                                 "int8": {**record, "qualifies": True, "faster_than_fp32": True}}})
    for m in (no_int8, slower):
        assert choose_backend(m, "auto") == "onnx"
        assert choose_backend(m, "auto", bulk=True) == ("torch" if cpu_reports_bf16() else "onnx")
    assert choose_backend(faster, "auto") == choose_backend(faster, "auto", bulk=True) == "onnx-int8"
    # what is kept or scored: fp32, answers of each post alone, int8 qualified or not; a backend
    # named is run as named
    for m in (faster, no_int8):
        assert choose_backend(m, "auto", consistent=True) == choose_backend(m, "auto", True, True) == "onnx"
    assert choose_backend(faster, "onnx-int8", consistent=True) == "onnx-int8"
    assert choose_backend(knowledge, "auto", consistent=True) == "torch"
    assert choose_backend(manifest, "onnx", bulk=True) == "onnx"  # a backend asked for is kept
    # a version on a hub backbone (no local tokenizer.json to read without transformers) stays on torch
    hub = Manifest.from_json({**manifest.to_json(), "backbone": "bert-base-uncased"})
    assert choose_backend(hub, "auto") == "torch"
    with pytest.raises(CotExplorerError, match="no local folder with a BERT tokenizer.json"):
        choose_backend(hub, "onnx")
    with pytest.raises(CotExplorerError, match="reads the CoT at test time"):
        choose_backend(knowledge, "onnx")


@pytest.fixture
def tiny_checkpoint(tmp_path):
    from cot_explorer.student.checkpoint import save_checkpoint
    from cot_explorer.student.config import TrainConfig
    from cot_explorer.student.train import train_student

    cfg = TrainConfig(variant="distill", backbone=str(make_tiny_backbone(tmp_path)), epochs=1, batch_size=8,
                      knowledge_budget=16)
    result = train_student(cfg, toy_examples(16), toy_examples(8), progress=False)
    return save_checkpoint(tmp_path / "models", "tiny", result.model, cfg, result.task.tags)


def test_the_export_is_cached_by_the_weights_hash_and_rebuilt_when_stale(tiny_checkpoint):
    from safetensors.torch import load_file, save_file

    first = ensure_export(tiny_checkpoint)
    assert first.parent == export_dir(tiny_checkpoint) and weights_hash(tiny_checkpoint) in first.name
    stamp = first.stat().st_mtime_ns
    assert ensure_export(tiny_checkpoint).stat().st_mtime_ns == stamp   # cached: not rebuilt
    shard = tiny_checkpoint / json.loads((tiny_checkpoint / "manifest.json").read_text())["weights"][0]
    state = load_file(str(shard))
    key = next(k for k in state if k.startswith("emit."))
    state[key] = state[key] + 1.0
    save_file(state, str(shard))
    second = ensure_export(tiny_checkpoint)
    assert second != first and not first.exists()    # new weights: a new export, the stale one gone
    words = [["Obama", "visits", "Paris"]]
    assert load_predictor(tiny_checkpoint, "onnx").predict_entities(words) == \
        load_predictor(tiny_checkpoint, "torch", "fp32").predict_entities(words)
    second.unlink()
    assert ensure_export(tiny_checkpoint).exists()    # missing: rebuilt


def test_int8_quantises_the_encoder_layers_and_nothing_else(tiny_checkpoint, tmp_path):
    import onnx

    from cot_explorer.student.onnx_export import _quantize

    graph = onnx.load(str(ensure_export(tiny_checkpoint, "int8"))).graph
    float_matmuls = {n.name for n in graph.node if n.op_type == "MatMul"}
    integer = [n.name for n in graph.node if n.op_type in ("MatMulInteger", "DynamicQuantizeMatMul")]
    assert integer and all("encoder/layer." in name for name in integer)
    assert any(name.endswith("/emit/MatMul") for name in float_matmuls)   # the output layer stays fp32
    assert any(name.endswith("layer.0/output/dense/MatMul") for name in float_matmuls)   # so does layer 0's FFN out
    assert any("layer.1/output/dense" in name for name in integer)
    smoothing = [n for n in graph.node if n.op_type == "Mul" and n.name.endswith("/smooth/Mul")]
    assert smoothing   # the quantised MatMuls read smoothed inputs
    fp32 = onnx.load(str(ensure_export(tiny_checkpoint, "fp32")))
    for node in fp32.graph.node:   # another backbone's names: nothing to quantise is said, not "everything"
        node.name = node.name.replace("encoder/layer.", "blocks.")
    renamed = tmp_path / "renamed.onnx"
    onnx.save(fp32, str(renamed))
    with pytest.raises(CotExplorerError, match="no encoder layer MatMul found"):
        _quantize(tiny_checkpoint, renamed, tmp_path / "out.onnx")


def test_smoothing_flattens_the_int8_inputs_without_changing_the_answer(tiny_checkpoint, tmp_path):
    """Each smoothed input is divided by a scale its MatMuls' weight rows are multiplied by: the
    same emissions in exact arithmetic (so to float rounding in fp32), with the channels of what
    int8 quantises closer in range than before."""
    import numpy as np
    import onnx

    from cot_explorer.student.int8_smoothing import activation_maxima, calibration_items, smooth
    from cot_explorer.student.onnx_export import int8_nodes
    from cot_explorer.student.onnx_predictor import OnnxPredictor

    model = onnx.load(str(ensure_export(tiny_checkpoint, "fp32")))
    nodes = int8_nodes(model.graph)
    smooth(tiny_checkpoint, model, tmp_path / "smoothed.onnx", nodes)
    smoothed = onnx.load(str(tmp_path / "smoothed.onnx"))
    muls = [n for n in smoothed.graph.node if n.name.endswith("/smooth/Mul")]
    inputs = sorted({n.input[0] for n in model.graph.node if n.name in nodes})
    assert sorted(m.input[0] for m in muls) == inputs   # one per input: q, k and v share theirs
    before = activation_maxima(tiny_checkpoint, model, inputs)
    after = activation_maxima(tiny_checkpoint, smoothed, [m.output[0] for m in muls])
    spread = lambda m: float(m.max() / np.median(m))   # how far the largest channel sits above the rest
    for m in muls:
        assert spread(after[m.output[0]]) < spread(before[m.input[0]])
    posts = calibration_items("mner")[:40]
    plain, moved = OnnxPredictor(tiny_checkpoint, "fp32"), OnnxPredictor(tiny_checkpoint, "fp32",
                                                                          graph=tmp_path / "smoothed.onnx")
    a, sure_a = plain.entities_with_certainty(posts, 0.0)
    b, sure_b = moved.entities_with_certainty(posts, 0.0)
    assert spans(a) == spans(b) and np.allclose(sure_a, sure_b, atol=1e-3)
    feed = {"input_ids": np.array([[101, 7592, 2088, 102]]), "attention_mask": np.ones((1, 4), dtype=np.int64),
            "token_type_ids": np.zeros((1, 4), dtype=np.int64), "first_subtoken": np.array([[1, 2]]),
            "shapes": np.zeros((1, 2, plain.session.get_inputs()[-1].shape[-1]), dtype=np.float32)}
    feed = {k: v for k, v in feed.items() if k in plain.inputs}
    (e1,), (e2,) = plain.session.run(["emissions"], feed), moved.session.run(["emissions"], feed)
    np.testing.assert_allclose(e1, e2, rtol=1e-4, atol=1e-4)


def test_the_rereading_threshold_must_clear_the_bar_with_a_margin_on_every_valid_split():
    """choose_recheck over given answers: each split must keep INT8_MIN_AGREEMENT +
    SELECTION_MARGIN % of fp32's answers, so one split that barely makes 99 % holds it back."""
    from cot_explorer.student.predictions import PredictedSpan
    from cot_explorer.student.quantize import choose_recheck

    class Fixed:
        """A predictor whose answer and certainty for each post are given (the post is its key)."""

        def __init__(self, read):
            self.read = read

        def entities_with_certainty(self, items, recheck_below):
            got = [self.read(post) for post in items]
            return [[PredictedSpan(0, 1, t, c)] for t, c in got], [c for _, c in got]

    def int8_read(post):   # split A: 8 posts differ, certainty 0.45; split B: 5 posts, 0.35
        split, i = post
        differs, sure = (8, 0.45) if split == "A" else (5, 0.35)
        return ("LOC", sure) if i < differs else ("PER", 0.9)

    fp32, int8 = Fixed(lambda post: ("PER", 1.0)), Fixed(int8_read)
    a, b = [("A", i) for i in range(1000)], [("B", i) for i in range(1000)]
    th, _, cleared = choose_recheck(fp32, int8, "mner", {"B": b})
    assert cleared and th == 0.0   # 99.5 % of fp32's answers clears 99 + the margin unaided
    th, tried, cleared = choose_recheck(fp32, int8, "mner", {"A": a, "B": b})
    assert cleared and th == 0.5   # A's 99.2 % does not: its 8 posts (certainty 0.45) are re-read
    assert {(t["split"], t["fp32_answers_kept"]) for t in tried if t["recheck_below"] == 0.0} == \
        {("A", 99.2), ("B", 99.5)}


def test_an_onnx_prediction_imports_no_torch(tmp_path):
    ensure_export(SHIPPED)   # what the first use builds; later runs read it
    code = ("import sys, io, json; from cot_explorer.cli import main; "
            "sys.stdin = io.StringIO(json.dumps({'text': 'Obama visits Paris'}) + '\\n'); "
            f"rc = main(['--home', {str(tmp_path / 'h')!r}, 'predict', '--backend', 'onnx']); "
            "print('TORCH' if 'torch' in sys.modules else 'NO-TORCH', rc)")
    r = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    lines = r.stdout.strip().splitlines()
    assert r.returncode == 0, r.stderr
    assert json.loads(lines[0])["entities"][0]["text"] == "Obama" and lines[-1] == "NO-TORCH 0"


def test_bulk_prediction_streams_a_file_to_a_file_with_a_progress_bar(tmp_path):
    inp, out = tmp_path / "posts.jsonl", tmp_path / "predictions.jsonl"
    texts = [f"Post {i}: Obama meets Merkel in Berlin" for i in range(300)]
    inp.write_text("".join(json.dumps({"id": i, "text": t}) + "\n" for i, t in enumerate(texts)))
    r = cli("predict", "--in", str(inp), "--out", str(out), "--backend", "onnx", home=tmp_path / "h")
    assert r.returncode == 0, r.stderr
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert [row["id"] for row in rows] == list(range(300))                  # every post, in order
    assert all({e["text"] for e in row["entities"]} >= {"Obama", "Berlin"} for row in rows)
    assert "300/300" in r.stderr and "posts" in r.stderr                    # the progress bar
    same = cli("predict", "--in", str(inp), "--out", str(inp), home=tmp_path / "h")
    assert same.returncode == 2 and "--out is the --in file" in same.stderr


def test_predict_gives_back_what_it_was_given_line_for_line(tmp_path):
    """A walker's findings: a line with both text and tokens had its text replaced by the joined
    tokens; blank lines were dropped (the output's lines no longer matched the input's); an
    existing --out was replaced unasked (export refuses); a knowledge view ran without the CoT
    it reads; a bad line on stdout said nothing of the lines already written."""
    inp, out = tmp_path / "posts.jsonl", tmp_path / "predictions.jsonl"
    both = {"text": "RT  @nytimes:Obama visits Paris", "tokens": ["RT", "@nytimes", ":", "Obama", "visits", "Paris"]}
    inp.write_text(json.dumps({"text": "Merkel in Berlin"}) + "\n\n" + json.dumps(both) + "\n")
    r = cli("predict", "--in", str(inp), "--out", str(out), "--backend", "onnx", home=tmp_path / "h")
    assert r.returncode == 0, r.stderr
    lines = out.read_text().split("\n")
    assert len(lines) == 4 and lines[1] == "" and lines[3] == ""   # line for line, the blank one kept
    first, third = json.loads(lines[0]), json.loads(lines[2])
    assert first["text"] == "Merkel in Berlin"
    assert third["text"] == both["text"] and third["tokens"] == both["tokens"]   # the text as given
    obama = next(e for e in third["entities"] if e["text"] == "Obama")
    assert third["text"][obama["char_start"]:obama["char_end"]] == "Obama" and obama["char_start"] == 13

    again = cli("predict", "--in", str(inp), "--out", str(out), "--backend", "onnx", home=tmp_path / "h")
    assert again.returncode == 2 and "exists; add --force to replace it" in again.stderr
    assert cli("predict", "--in", str(inp), "--out", str(out), "--backend", "onnx", "--force",
               home=tmp_path / "h").returncode == 0

    wrong = tmp_path / "wrong.jsonl"
    wrong.write_text(json.dumps({"text": "Obama visits Paris", "tokens": ["Obama", "goes", "Paris"]}) + "\n")
    r = cli("predict", "--in", str(wrong), "--backend", "onnx", home=tmp_path / "h")
    assert r.returncode == 2 and "input line 1: the tokens are not the text's words: token 2 ('goes')" in r.stderr

    long = tmp_path / "long.jsonl"
    long.write_text("".join(json.dumps({"text": f"Post {i} Obama"}) + "\n" for i in range(43)) + "{bad\n")
    r = cli("predict", "--in", str(long), "--backend", "onnx", "--batch-size", "8", home=tmp_path / "h")
    assert r.returncode == 2 and len(r.stdout.splitlines()) == 43   # not a whole number of steps: all the same
    assert "input line 44: not JSON" in r.stderr and "(the 43 lines before it were written to standard output)" in r.stderr
    assert 'each line is a JSON object such as {"text": "Obama visits Paris"}' in r.stderr   # it said no more
    assert "at least 1" in cli("predict", "--in", str(inp), "--batch-size", "0", home=tmp_path / "h").stderr

    knowledge = cli("predict", "--in", str(inp), "--model", "mner-knowledge", home=tmp_path / "h")
    assert knowledge.returncode == 2 and "is a knowledge view" in knowledge.stderr


def test_a_twitter2015_file_is_scored_in_its_own_type_names(tmp_path, data):
    from .test_twitter_conll import first_posts_file

    small = first_posts_file(data / "twitter2015/valid.txt", tmp_path / "t15.txt", 200)
    r = cli("evaluate", "--model", "default", "--data", str(small), "--format", "twitter", "--json", "--backend", "onnx",
            home=tmp_path / "h")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["alias"] == {"MISC": "OTHER"} and out["file_types"] == ["PER", "LOC", "ORG", "OTHER"]
    said = cli("evaluate", "--data", str(small), "--backend", "onnx", home=tmp_path / "h").stdout   # format told
    assert "(entity-level micro-F1) (MISC read as OTHER)" in said   # which F1, in words
    assert out["repaired_tags"] > 0 and f"{out['repaired_tags']} I- tags that start an entity" in said   # not silently
    mnre = tmp_path / "mnre.txt"
    mnre.write_text("".join((data / "mnre/test.txt").read_text(encoding="utf-8").splitlines(keepends=True)[:20]),
                    encoding="utf-8")
    said = cli("evaluate", "--data", str(mnre), "--backend", "onnx", home=tmp_path / "h")   # the relations default
    assert said.returncode == 0 and "(micro-F1 over the relations, None left out)" in said.stdout, said.stderr
    assert "OTHER" in out["per_type"] and "MISC" not in out["per_type"] and out["backend"] == "onnx-fp32"


@pytest.mark.parametrize("line,said", [
    (b'{"text": "caf\xe9 Paris"}', "input line 2: the text is not valid Unicode"),   # a Latin-1 byte
    (b'{"text": "\\ud800 Paris"}', "input line 2: the text is not valid Unicode"),   # a lone surrogate
    (b'{"text": "Obama\\u0000Paris"}', "input line 2: the text contains the control character U+0000"),
    (b'{"tokens": ["Obama", "", "Paris"]}', "input line 2: token 2 is empty or invisible"),
    (b'{"text": "  "}', "input line 2: the text is empty"),
    (b'{"id": "\xff", "text": "Obama"}', "input line 2: the field 'id' is not valid Unicode"),   # written back out
])
def test_a_bad_line_is_refused_by_its_number_and_leaves_the_output_as_it_was(tmp_path, line, said):
    """An invalid byte or a lone surrogate ended in a traceback and a 0-byte --out (the line
    before it lost); a NUL made one entity of two words."""
    inp, out = tmp_path / "posts.jsonl", tmp_path / "predictions.jsonl"
    inp.write_bytes(b'{"text": "Obama visits Paris"}\n' + line + b"\n")
    out.write_text("kept\n")
    r = cli("predict", "--in", str(inp), "--out", str(out), "--backend", "onnx", "--force", home=tmp_path / "h")
    assert r.returncode == 2 and "Traceback" not in r.stderr, r.stderr
    assert f"error: {said}" in r.stderr
    assert out.read_text() == "kept\n" and [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []
    piped = subprocess.run([sys.executable, "-m", "cot_explorer.cli", "--home", str(tmp_path / "h"), "predict",
                            "--backend", "onnx"], input=line + b"\n", capture_output=True, timeout=120, cwd=ROOT)
    assert piped.returncode == 2 and f"error: {said.replace('line 2', 'line 1')}".encode() in piped.stderr, piped.stderr


def test_a_stream_s_steps_start_small_and_double_up_to_the_batch_size(valid_posts):
    """To a pipe the first lines come after a small step, the rest in full ones (steps of 32
    all through were 1.6x slower with int8); every line still gets its own post's answer."""
    from cot_explorer.student.jsonl_predict import predict_lines

    predictor = load_predictor(SHIPPED, "onnx")
    steps = []

    class Counted:   # the real predictor, the size of each step it is handed counted
        manifest = predictor.manifest

        def predict_entities(self, posts):
            steps.append(len(posts))
            return predictor.predict_entities(posts)

    posts = valid_posts[:100]
    lines = [json.dumps({"tokens": list(t)}) for t in posts]
    out = list(predict_lines(Counted(), lines, batch_size=32, first_step=4))
    assert steps == [4, 8, 16, 32, 32, 8]
    whole = predictor.predict_entities(posts)
    assert [[(e["start"], e["end"], e["type"]) for e in r["entities"]] for r in out] == \
           [[(s.start, s.end, s.type) for s in ps] for ps in whole]
    steps.clear()
    list(predict_lines(Counted(), lines, batch_size=32))   # a file: full steps from the first
    assert steps == [32, 32, 32, 4]


def test_predict_with_a_relation_model_answers_each_pair_of_the_post_s_entities_or_the_pairs_named(tmp_path):
    """`predict` refused relation models ("predict supports mner models"): a researcher had no
    way to run the relation student on their own posts outside the app."""
    from cot_explorer.schema import Span
    from cot_explorer.student.inference import load_predictor
    from cot_explorer.student.relation_arguments import typed_pair

    inp = tmp_path / "posts.jsonl"
    named = {"tokens": ["Obama", "visits", "Paris", "with", "Michelle"],
             "entities": [{"start": 0, "end": 1, "type": "PER"}, {"start": 4, "end": 5, "type": "PER"},
                          {"start": 2, "end": 3, "type": "LOC"}],
             "pairs": [{"head": [0, 1], "tail": [4, 5]}, {"head": [0, 1], "tail": [2, 3]}]}
    inp.write_text(json.dumps({"id": "a", "text": "Dwyane Wade and Gabrielle Union in Miami"}) + "\n\n"
                   + json.dumps(named) + "\n")
    # fp32 (int8 scales each batch's activations alike: an answer's confidence moves with its batch mates)
    r = cli("predict", "--in", str(inp), "--model", "mre-default", "--backend", "onnx", home=tmp_path / "h")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.split("\n")
    first, blank, second = json.loads(lines[0]), lines[1], json.loads(lines[2])
    assert blank == ""                                         # line for line, as for entities
    ents = [(e["start"], e["end"], e["type"]) for e in first["entities"]]
    assert len(ents) >= 2 and first["id"] == "a"
    # every ordered pair of its entities, each the relation model's own answer on it
    assert [(r_["head"]["start"], r_["tail"]["start"]) for r_ in first["relations"]] == \
        [(h[0], t[0]) for h in ents for t in ents if h != t]
    model = load_predictor(SHIPPED.parent / "mre-default", "onnx")
    spans = [Span(*e) for e in ents]
    items = [(first["tokens"], *typed_pair(Span(h.start, h.end, ""), Span(t.start, t.end, ""), spans))
             for h in spans for t in spans if h != t]
    assert [(x["relation"], x["confidence"]) for x in first["relations"]] == \
        [(a.label, a.confidence) for a in model.predict_relations(items)]
    # the pairs a line names, typed by the entities it gives
    assert [(x["head"]["text"], x["tail"]["text"], x["tail"]["type"]) for x in second["relations"]] == \
        [("Obama", "Michelle", "PER"), ("Obama", "Paris", "LOC")]
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps({"tokens": ["Obama", "visits"], "pairs": [{"head": [0, 1], "tail": [1, 9]}]}) + "\n")
    r = cli("predict", "--in", str(bad), "--model", "mre-default", home=tmp_path / "h")
    assert r.returncode == 2 and "input line 1: pair 1's tail must be [start, end], token offsets within the post's 2 " \
                                 "tokens" in r.stderr
    # a pair one within the other is answered, as the app answers MNRE's own (three in its valid
    # split, "Beijing Hongqiao Market" → "Beijing", and the whole file was refused); the same
    # words twice are not a pair
    nested = tmp_path / "nested.jsonl"
    nested.write_text(json.dumps({"tokens": ["Beijing", "Hongqiao", "Market", "reopens"],
                                  "pairs": [{"head": [0, 3], "tail": [0, 1]}]}) + "\n")
    r = cli("predict", "--in", str(nested), "--model", "mre-default", "--backend", "onnx", home=tmp_path / "h")
    assert r.returncode == 0, r.stderr
    (answer,) = json.loads(r.stdout)["relations"]
    assert (answer["head"]["text"], answer["tail"]["text"]) == ("Beijing Hongqiao Market", "Beijing")
    nested.write_text(json.dumps({"tokens": ["Obama", "visits"], "pairs": [{"head": [0, 1], "tail": [0, 1]}]}) + "\n")
    r = cli("predict", "--in", str(nested), "--model", "mre-default", home=tmp_path / "h")
    assert r.returncode == 2 and "pair 1's head and tail are the same words" in r.stderr


def test_predict_refuses_a_relation_knowledge_view_as_it_refuses_an_entity_one(tmp_path):
    """The knowledge check looked at the entity model that types the arguments, so a relation
    model that reads the CoT answered without it, wrong, without a word."""
    from cot_explorer.student.registry import shipped_dir

    reads_cot = tmp_path / "mre-reads-cot"
    shutil.copytree(shipped_dir() / "mre-default", reads_cot, ignore=shutil.ignore_patterns("onnx"))
    manifest = json.loads((reads_cot / "manifest.json").read_text())
    manifest.update(name="mre-reads-cot", variant="knowledge", config={**manifest["config"], "variant": "knowledge"})
    (reads_cot / "manifest.json").write_text(json.dumps(manifest))
    inp = tmp_path / "posts.jsonl"
    inp.write_text(json.dumps({"text": "Dwyane Wade and Gabrielle Union in Miami"}) + "\n")
    r = cli("predict", "--in", str(inp), "--model", str(reads_cot), home=tmp_path / "h")
    assert r.returncode == 2 and "mre-reads-cot is a knowledge view" in r.stderr and not r.stdout
