"""`cot-explorer` subcommands; each is a thin call into the modules that do the work."""

from __future__ import annotations

import argparse
import contextlib
import getpass
import io
import json
import os
import shutil
import sys
from pathlib import Path

from . import __version__
from .access import USERS_FILE_ENV, add_user, default_users_file, read_users_file, remove_user
from .errors import CotExplorerError, ValidationError
from .exporter import CONLL_SOURCES, ExportReport, export, export_file, removal_backup_path, write_removal_backup
from .importer import (
    KINDS,
    import_captions,
    import_jsonl,
    import_knowledge,
    import_mnre,
    import_twitter,
    write_augmented,
)
from .limits import DISK_FULL_ERRNOS, check_text, disk_full_message
from .paths import HOME_ENV
from .store import blind as blind_store
from .store import open_store
from .store.images import read_image_file
from .store.labelled_split import parse_split, split_labels
from .store.model_versions import promotion_history
from .store.removal import SplitFootprint, check_removable, remove_splits, split_footprint
from .store.stats import compute_stats
from .student.config import VARIANTS, TrainConfig
from .student.gain import gain_direction, losses_said
from .student.held_out_record import default_score_beside, held_out_f1, round_gain_over
from .student.inference import BACKENDS
from .student.learnt_at_import import learnt_note
from .student.manifest import Manifest
from .student.registry import Registry
from .uploads import add_upload


def _dtype_arg(p: argparse.ArgumentParser, scoring: bool = False) -> None:
    auto = ("fp32, as the app and rounds score; bf16 only where named" if scoring else
            "bf16 on CPUs with native bf16, else fp32")
    p.add_argument("--dtype", choices=("auto", "fp32", "bf16"), default=None,
                   help=f"number format of the torch backend: auto ({auto}; default, or "
                        "$COT_EXPLORER_INFERENCE_DTYPE), fp32 or bf16")


def _backend_arg(p: argparse.ArgumentParser, scoring: bool = False) -> None:
    auto = ("ONNX Runtime fp32, else PyTorch fp32: the score the app, Errors, Promote and rounds give; int8 "
            "answers move with the posts batched beside them" if scoring else
            "ONNX Runtime int8 where it qualified, else fp32; int8 may answer about 1 %% of posts otherwise with "
            "other posts batched beside them: onnx for answers of each post alone")
    p.add_argument("--backend", choices=BACKENDS, default=None,
                   help=f"what runs the model: auto (default, or $COT_EXPLORER_BACKEND: {auto}), torch, onnx or onnx-int8")


def _home_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("--home", default=argparse.SUPPRESS,
                   help=f"data directory (default: ${HOME_ENV}, else the user data dir)")


# train's numeric settings, each with what it sets and its default (TrainConfig's)
_TC = TrainConfig()
TRAIN_SETTINGS: tuple[tuple[str, type, str], ...] = (
    ("epochs", int, f"at most this many passes over the train split (default {_TC.epochs}; stops after "
                    f"{_TC.patience} without a better valid F1)"),
    ("batch-size", int, f"posts a step (default {_TC.batch_size})"),
    ("lr", float, f"the encoder's learning rate (default {_TC.lr:g}; the heads learn at {_TC.head_lr:g})"),
    ("seed", int, f"random seed (default {_TC.seed})"),
    ("knowledge-budget", int, f"sub-tokens of chain of thought the knowledge view reads (default {_TC.knowledge_budget})"),
    ("n-prompts", int, f"soft prompts the text view is given (default {_TC.n_prompts})"),
    ("lam", float, f"weight of the two views' own losses against the KL between them (default {_TC.lam})"),
    ("temperature", float, f"softening of the knowledge view's distribution in the KL (default {_TC.temperature})"),
    ("train-fraction", float, "learn from this share of the train split's posts, 0 to 1 (default 1)"),
)

# What each subcommand's --help ends with, ready to paste from the checkout (the benchmark data
# beside it, in ../shared/data); every one is parsed by the tests.
EXAMPLES: dict[str, list[str]] = {
    "import": ["cot-explorer import twitter ../shared/data/twitter2017/train.txt --dataset twitter2017 --split train",
               "cot-explorer import twitter ../shared/data/twitter2015/train.txt --dataset twitter2015 --split train "
               "--repair-bio",
               "cot-explorer import knowledge ../shared/data/knowledge/chatgpt-pgim/twitter2017/train.txt "
               "--dataset twitter2017 --split train",
               "cot-explorer import captions ../shared/data/captions/blip2-twitter2017.txt --dataset twitter2017",
               "cot-explorer import mnre ../shared/data/mnre/train.txt --dataset mnre --split train",
               "cot-explorer import jsonl my_posts.jsonl --dataset mine --split train"],
    "export": ["cot-explorer export conll --dataset twitter2017 --split test --source current --out test.conll",
               "cot-explorer export jsonl --dataset mine --out mine.jsonl"],
    "add-post": ["cot-explorer add-post --text 'Watching @Lakers at #StaplesCenter' --image court.jpg"],
    "train": ["cot-explorer train --dataset twitter2017 --name my-student --variant distill --epochs 3",
              "cot-explorer train --dataset mnre --name my-mre --variant text --epochs 3"],
    "round": ["cot-explorer round --dataset twitter2017 --name t17-round-1",
              "cot-explorer round --dataset mnre --variant text --epochs 3 --json"],
    "evaluate": ["cot-explorer evaluate --data ../shared/data/twitter2017/test.txt",
                 "cot-explorer evaluate --model mre-default --data ../shared/data/mnre/test.txt --json",
                 "cot-explorer evaluate --model my-student --data my-test.conll --format twitter",
                 "cot-explorer evaluate --split twitter2017/test"],
    "predict": ["echo '{\"text\": \"Barack Obama visits Paris\"}' | cot-explorer predict",
                "cot-explorer predict --in posts.jsonl --out predictions.jsonl --force",
                "echo '{\"text\": \"Dwyane Wade and Gabrielle Union in Miami\"}' | cot-explorer predict --model mre-default"],
    "models": ["cot-explorer models list", "cot-explorer models promote my-student --reason 'better on held-out'",
               "cot-explorer models rollback my-student", "cot-explorer models quantize my-student"],
    "teach": ["cot-explorer teach --dataset twitter2017 --split test --teacher recorded",
              "cot-explorer teach --dataset mine --split train --grains noun,sentence --limit 20"],
    "users": ["cot-explorer users add ann --role annotator", "cot-explorer users list",
              "cot-explorer users remove ann"],
    "stats": ["cot-explorer stats", "cot-explorer stats --json"],
    "blind": ["cot-explorer blind list", "cot-explorer blind on --dataset mine --split train",
              "cot-explorer blind off --dataset mine --split train"],
    "remove": ["cot-explorer remove --dataset mine --split train", "cot-explorer remove --dataset mine --split train --yes"],
}


class _WithExamples(argparse.HelpFormatter):
    """Descriptions wrapped as usual; the examples kept a command a line (wrapped, they could not
    be pasted)."""

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        if text.startswith("examples:"):
            return "".join(indent + line for line in text.splitlines(keepends=True))
        return super()._fill_text(text, width, indent)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="cot-explorer", description=__doc__)
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    _home_arg(parser)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("import", help="import a dataset file into the store (all or nothing)")
    _home_arg(p)
    p.add_argument("kind", choices=KINDS, help="the file's format: twitter (CoNLL), mnre (relations), knowledge "
                                               "(recorded ChatGPT reasoning), captions, jsonl (this tool's own)")
    p.add_argument("path", type=Path, help="the file to read")
    p.add_argument("--dataset", help="dataset name (required except for jsonl lines that carry one)")
    p.add_argument("--split", help="split name (not used for captions)")
    p.add_argument("--types", help="comma-separated entity types, when not the dataset's known ones")
    p.add_argument("--repair-bio", action="store_true",
                   help="read an I-X that starts an entity as B-X instead of refusing the file")
    p.add_argument("--caption-model", default="blip2", help="captions: the captioning model they came from, "
                                                             "kept with each caption (default blip2)")
    p.add_argument("--json", action="store_true", help="print the import report as JSON")

    p = sub.add_parser("export", help="export posts and labels")
    _home_arg(p)
    p.add_argument("format", choices=("jsonl", "conll"), help="jsonl (every field, readable back by import) or "
                                                               "conll (tokens and BIO tags of one label source)")
    p.add_argument("--dataset", required=True, help="the dataset to export")
    p.add_argument("--split", help="one split (required for conll)")
    p.add_argument("--source", default=None, choices=CONLL_SOURCES, help="label source for conll (default gold): gold (imported), current (newest, whoever made it), annotator, "
                        "teacher (else its chain of thought's entities), student (else the default's stored "
                        "predictions); jsonl writes every post's current labels")
    p.add_argument("--out", default="-", help="output file (default: standard output); written only if the export succeeds")
    p.add_argument("--force", action="store_true", help="replace an existing --out file")

    p = sub.add_parser("add-post", help="add your own tweet (and image) as a post")
    _home_arg(p)
    p.add_argument("--text", required=True, help="the post's text (words are split as the app splits them)")
    p.add_argument("--image", type=Path, help="its image (PNG, JPEG, GIF or WebP)")

    p = sub.add_parser("train", help="train a student on a dataset's current labels (and teacher knowledge)")
    _home_arg(p)
    p.add_argument("--dataset", required=True, help="the dataset to train on (its current labels)")
    p.add_argument("--name", required=True, help="model version name (saved under HOME/models/NAME)")
    p.add_argument("--variant", default="distill", choices=VARIANTS,
                   help="text (text only), knowledge (text + CoT, needs CoT at inference), distill-plain, "
                        "distill (text view matches the knowledge view through soft prompts; default), kd")
    p.add_argument("--backbone", help="Hugging Face encoder name or path (default: the bundled MiniLM)")
    p.add_argument("--train-split", default="train", help="split to learn from (default train)")
    p.add_argument("--valid-split", default="valid", help="split that picks the best epoch (default valid)")
    for flag, typ, what in TRAIN_SETTINGS:
        p.add_argument(f"--{flag}", type=typ, help=what)
    p.add_argument("--mention-noise", type=float, metavar="SHARE",
                   help="MNER: give this share of training posts made-up @mentions tagged O, for a corpus "
                        "published without them (Twitter-2017), so the student learns what a mention is")
    p.add_argument("--no-shape-features", action="store_true",
                   help="MNER: leave out the word-shape features (capitals, @, #, digits) the student reads")
    p.add_argument("--teacher", action="append", default=[], metavar="MODEL",
                   help="with --variant kd: a knowledge-view model whose marginals the student learns, on "
                        "labelled posts and on every unlabelled post of the split the teacher wrote CoT for "
                        "(repeat for an average of several)")
    p.add_argument("--task", choices=("mner", "mre"),
                   help="what to learn: entities (mner) or relations (mre); default: mre when the "
                        "dataset's train split holds relation labels, else mner")
    p.add_argument("--promote", action="store_true", help="make it the default model")

    p = sub.add_parser("round", help="a distillation round on a dataset's corrections, measured on its held-out "
                                     "posts (as Distill's Start in the app)",
                       description="Continues a version (the default, or --parent) on the posts corrected in "
                                   "DATASET, with earlier posts replayed, and measures the new version against it on "
                                   "the dataset's held-out posts and on untouched ones (forgetting). The version is "
                                   "saved, not promoted: `models promote NAME` makes it the default. The app's Distill "
                                   "tab shows the round while it runs, and can cancel it; Ctrl-C cancels it here.")
    _home_arg(p)
    p.add_argument("--dataset", required=True, help="the dataset whose corrected posts to learn from")
    p.add_argument("--name", help="the new version's name (default: DATASET-round- and the time, as the app names it)")
    p.add_argument("--variant", choices=("text", "distill"),
                   help="text or distill; default: the one the posts and parent suit, as the app's plan says "
                        "(text for a parent without soft prompts, such as the shipped default, or for posts "
                        "without a chain of thought)")
    p.add_argument("--epochs", type=int, default=2, help="passes over the training posts (default 2)")
    p.add_argument("--replay-ratio", type=float, default=1.0,
                   help="earlier posts replayed per corrected post, against forgetting (default 1.0)")
    p.add_argument("--since", help="learn only from corrections made after this ISO date or model version")
    p.add_argument("--parent", default="default", help="the version to continue (default: the default of the "
                                                       "dataset's task)")
    p.add_argument("--json", action="store_true", help="print the round's report as JSON")

    p = sub.add_parser("evaluate", help="score a model on a labelled file, or on a split of the store as corrected")
    _home_arg(p)
    p.add_argument("--model", default="default",
                   help="'default' (the default of the file's or split's task), a version name or a checkpoint folder")
    source = p.add_mutually_exclusive_group(required=True)
    source.add_argument("--data", help="a labelled file: Twitter CoNLL or MNRE")
    source.add_argument("--split", metavar="DATASET/SPLIT",
                        help="a split of the store, scored on its labels as they are now, corrections included "
                             "(the Errors tab's figures), e.g. twitter2017/test")
    p.add_argument("--format", choices=("twitter", "mnre"), help="the file's format (default: told from its first line)")
    p.add_argument("--json", action="store_true", help="print the scores as JSON")
    _dtype_arg(p, scoring=True)
    _backend_arg(p, scoring=True)

    predict_what = ("predict entities for JSONL posts ({'text': ...} or {'tokens': [...]}), streamed; with a relation "
                    "model (--model mre-default), the relation of each ordered pair of a post's entities, or of the "
                    "pairs a line names ({'pairs': [{'head': [0, 1], 'tail': [4, 5]}]}, token offsets; its own "
                    "{'entities': [{'start', 'end', 'type'}]} type them, else the default entity model's)")
    p = sub.add_parser("predict", help=predict_what, description=predict_what)
    _home_arg(p)
    p.add_argument("--model", default="default", help="'default', a version name or a checkpoint folder")
    p.add_argument("--in", "--input", dest="input", default="-", help="JSONL file of posts (default: stdin)")
    p.add_argument("--out", "--output", dest="output", default="-", help="JSONL file to write (default: stdout)")
    p.add_argument("--batch-size", type=int, default=None,
                   help="lines read per step (default 256; to stdout the first step is 32, doubled up to 256); the model reads them "
                        "32 at a time, by length, and int8 re-reads the unsure ones of a step together")
    p.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")
    p.add_argument("--force", action="store_true", help="replace an existing --out file")
    _dtype_arg(p)
    _backend_arg(p)

    p = sub.add_parser("models", help="list, promote or roll back model versions; quantize one for ONNX Runtime",
                       description="list: every version, * the default of its task (entities: mner, relations: "
                                   "mre). promote NAME: NAME becomes its task's default; a round's version that "
                                   "scored below the default on its held-out posts (as the rounds recorded it), or "
                                   "was never scored beside the default there, needs --reason, as the app's Promote "
                                   "asks for one. rollback NAME: NAME, the default of its task, is rolled back, and "
                                   "the default before it comes back. --reason is recorded with either. history: "
                                   "every promotion and roll-back, newest first, with who and why. "
                                   "quantize NAME: ONNX int8, measured against fp32.")
    _home_arg(p)
    p.add_argument("action", choices=("list", "promote", "rollback", "history", "quantize"), help="what to do (see above)")
    p.add_argument("name", nargs="?", help="the model version (promote, rollback, quantize)")
    p.add_argument("--reason", help="promote, rollback: why, recorded with it (`models history`)")
    p.add_argument("--data", help="quantize: the labelled test file to measure int8 against fp32 on "
                                  "(default: Twitter-2017 test for entity models, MNRE test for relation models)")

    p = sub.add_parser("teach", help="ask the teacher for chain-of-thought knowledge (cached in the store)")
    _home_arg(p)
    p.add_argument("--dataset", required=True, help="the dataset whose posts to ask about")
    p.add_argument("--split", required=True, help="the split whose posts to ask about")
    p.add_argument("--grains", default="noun,sentence,multimodal",
                   help="comma-separated grains of chain of thought: noun, sentence, multimodal (default: all three)")
    p.add_argument("--augment", default="", help="comma-separated: style,entity,image")
    p.add_argument("--batch", action="store_true", help="use the Message Batches API (resumes an unfinished batch)")
    p.add_argument("--limit", type=int, help="only the split's first N posts (those answered before are served from the cache; default: every post)")
    p.add_argument("--model", help="Claude model id (default: the current mid-size vision model)")
    p.add_argument("--teacher", default="anthropic", choices=("anthropic", "recorded"),
                   help="anthropic (Claude, needs ANTHROPIC_API_KEY; default) or recorded (the shipped ChatGPT "
                        "reasoning of the Twitter posts, offline)")
    p.add_argument("--concurrency", type=int, default=4, help="requests at once (default 4)")
    p.add_argument("--poll-seconds", type=float, default=30.0,
                   help="with --batch: seconds between looks at the batch's progress (default 30)")
    p.add_argument("--json", action="store_true", help="print the run's report as JSON")

    p = sub.add_parser("users", help="give people a role in the app (viewer, annotator, admin); list or remove them",
                       description="The app's users and their roles, in a users file kept per system account (not "
                                   "per store: --home does not apply). A running app reads a change at the next "
                                   "sign-in or action, with no restart.")
    p.add_argument("action", choices=("add", "list", "remove"), help="add (or change) a user, list them, remove one")
    p.add_argument("name", nargs="?", help="the user (add, remove)")
    p.add_argument("--role", choices=("viewer", "annotator", "admin"), help="their role (add)")
    p.add_argument("--file", type=Path, help="users file (default: $COT_EXPLORER_USERS_FILE, else "
                                              "~/.config/cot-explorer/users)")
    p.add_argument("--password-stdin", action="store_true", help="read the password from standard input")

    p = sub.add_parser("blind", help="annotate a split blind: each signed-in annotator sees only their own labels",
                       description="In a blind split, Annotate shows each signed-in annotator their own entity labels "
                                   "of its posts (the imported ones until they save), never another's, so that "
                                   "agreement compares labels made apart. A post's current labels stay its newest "
                                   "save. Splits whose posts hold entity pairs are refused (relations are not hidden).")
    _home_arg(p)
    p.add_argument("action", choices=("on", "off", "list"), help="make the split blind, open it again, or list them")
    p.add_argument("--dataset", help="the split's dataset (on, off)")
    p.add_argument("--split", help="the split (on, off)")

    p = sub.add_parser("stats", help="counts per dataset and split")
    _home_arg(p)
    p.add_argument("--json", action="store_true", help="print the counts as JSON")

    p = sub.add_parser("remove", help="remove a split or a whole dataset imported by mistake (says what goes first)",
                       description="Remove a split (or, without --split, a whole dataset) and everything about its "
                                   "posts. Without --yes it only says what would go. Work people put in (saved "
                                   "corrections, teacher answers, held-out posts) goes only with --drop-work; the "
                                   "posts and their current labels are written to the store's removed/ folder "
                                   "first. Model versions trained on it stay.")
    _home_arg(p)
    p.add_argument("--dataset", required=True, help="the dataset to remove (or remove a split of)")
    p.add_argument("--split", help="one split (default: every split of the dataset)")
    p.add_argument("--yes", action="store_true", help="remove it (without: only say what would go)")
    p.add_argument("--drop-work", action="store_true",
                   help="also when people corrected its labels or the teacher answered about its posts")
    for name, sub_parser in sub.choices.items():
        sub_parser.formatter_class = _WithExamples
        sub_parser.epilog = "examples:\n" + "\n".join(f"  {e}" for e in EXAMPLES[name])
    return parser


def _need(args: argparse.Namespace, *names: str) -> None:
    missing = [f"--{n}" for n in names if not getattr(args, n, None)]
    if missing:
        raise CotExplorerError(f"{args.kind} import needs {' and '.join(missing)}")


def _import(args: argparse.Namespace, store) -> int:
    path = str(args.path)
    if args.kind in ("twitter", "mnre"):   # a JSONL post may hold the word 'token' and read as MNRE: not sniffed
        _same_kind_as_the_file(path, args.kind)
    if args.kind == "twitter":
        _need(args, "dataset", "split")
        types = args.types.split(",") if args.types else None
        report = import_twitter(store, path, args.dataset, args.split, types, args.repair_bio)
    elif args.kind == "mnre":
        _need(args, "dataset", "split")
        report = import_mnre(store, path, args.dataset, args.split)
    elif args.kind == "knowledge":
        _need(args, "dataset", "split")
        report = import_knowledge(store, path, args.dataset, args.split)
    elif args.kind == "captions":
        _need(args, "dataset")
        report = import_captions(store, path, args.dataset, args.caption_model)
    else:
        report = import_jsonl(store, path, args.dataset, args.split)
    learnt = learnt_note(store, report.dataset, report.split) if args.kind in ("twitter", "mnre", "jsonl") else None
    if args.json:
        print(json.dumps({**report.to_json(), **({"learnt_by_default": learnt} if learnt else {})}, indent=2))
    else:
        print(report.summary() + (f"\nNote: {learnt}." if learnt else ""))
    return 0


def _same_kind_as_the_file(path: str, kind: str) -> None:
    """A Twitter file imported as MNRE (or the other way round) listed 99 bad line numbers; its
    first line tells which it is, so the right command is named instead."""
    from .datasets.sniff import importable_file_format

    try:
        found = importable_file_format(path)
    except (CotExplorerError, OSError):   # neither, or unreadable: the importer says what is wrong
        return
    if found != kind:
        names = {"twitter": "a Twitter CoNLL file", "mnre": "an MNRE file", "jsonl": "JSONL"}
        raise CotExplorerError(f"{path} reads as {names[found]} (its first line), not {names[kind]}: "
                               f"`cot-explorer import {found} {path} …`")


def _export(args: argparse.Namespace, store) -> int:
    if args.format == "conll" and not args.split:
        raise CotExplorerError("conll export needs --split")
    if args.format == "jsonl" and args.source:   # it was taken and not used: the file held the current labels
        raise CotExplorerError("--source is for conll; jsonl writes every post with its current labels")

    def run(out) -> ExportReport:
        return export(store, out, args.format, args.dataset, args.split, args.source or "gold")

    if args.out == "-":
        report = run(sys.stdout)
    else:
        with export_file(store, args.out, args.force) as out:
            report = run(out)
    print(report.sentence(), file=sys.stderr)
    return 0


def _add_post(args: argparse.Namespace, store) -> int:
    # size checked before reading; a refusal names the file as it was given (its folder too)
    image = read_image_file(Path(args.image), str(args.image)) if args.image else None
    post = add_upload(store, args.text, image, args.image.name if args.image else None)
    print(json.dumps({"id": post.id, "tokens": list(post.tokens), "offsets": [list(o) for o in post.offsets],
                      "image_sha256": post.image_sha256}, ensure_ascii=False))
    return 0


def _blind(args: argparse.Namespace, store) -> int:
    if args.action == "list":
        splits = sorted(blind_store.blind_splits(store))
        print("\n".join(f"{d}/{s}" for d, s in splits) if splits else "no split is annotated blind")
        return 0
    if not (args.dataset and args.split):
        raise ValidationError(f"blind {args.action} needs --dataset and --split")
    unsettled = len(blind_store.unsettled_posts(store, args.dataset, args.split)) if args.action == "off" else 0
    changed = blind_store.set_blind(store, args.dataset, args.split, args.action == "on", cli_user())
    where = f"{args.dataset}/{args.split}"
    if args.action == "on":
        print(f"{where} is annotated blind{' now' if changed else ' already'}: each signed-in annotator sees only "
              "their own labels of its posts in the app (where no one signs in, with no users set in "
              "COT_EXPLORER_USERS or a users file, the one local user sees every label).")
    else:
        print(f"{where} is {'open again' if changed else 'not blind'}: everyone sees each post's current labels"
              + ("; agreement keeps what its annotators labelled apart while it was blind in its blind row."
                 if changed else ".")
              + (f" {unsettled} post(s) its annotators saved differently were not settled: their current labels are "
                 "whoever saved last." if changed and unsettled else ""))
    return 0


def _stats(args: argparse.Namespace, store) -> int:
    stats = compute_stats(store)
    if args.json:
        print(json.dumps({"home": str(store.home), "splits": [s.to_json() for s in stats]}, indent=2))
        return 0
    print(f"store: {store.path}")
    for s in stats:
        types = " ".join(f"{t}={n}" for t, n in s.spans_per_type.items())
        print(f"{s.dataset}/{s.split}: {s.posts} posts, entities {types or '-'}, {s.relations} relations, "
              f"{s.posts_with_knowledge} with knowledge, {s.posts_with_caption} with captions, "
              f"{s.corrected_posts} corrected"
              + (f" ({s.confirmed_posts} of them confirmed as imported)" if s.confirmed_posts else ""))
    return 0


def _remove(args: argparse.Namespace, store) -> int:
    where = args.dataset + (f"/{args.split}" if args.split else "")
    if not args.yes:
        gone = split_footprint(store, args.dataset, args.split)
        print(f"Would remove {gone.sentence()}."
              + (" Its corrections, teacher answers or held-out posts go only with --drop-work." if gone.has_work else "")
              + f" Nothing was removed: run again with --yes to remove {where}.")
        return 0
    folder = removal_backup_path(store.home, where)
    backup: list[Path] = []

    def refuse_work(gone: SplitFootprint) -> None:
        if gone.has_work and not args.drop_work:
            raise CotExplorerError(f"not removed: {gone.sentence()}; add --drop-work to remove the work people put "
                                   "in too (the posts, their current labels and images are written out first)")

    # Written before the removal's write transaction: app saves would wait on it (a large dataset's
    # images take a while). Written again inside only if something changed meanwhile, so what is
    # written is what goes.
    written_for = split_footprint(store, args.dataset, args.split)
    check_removable(written_for)
    refuse_work(written_for)

    def allowed(gone: SplitFootprint) -> None:
        refuse_work(gone)
        if gone.backed_up != written_for.backed_up:   # a save (or an upload) meanwhile: written again
            shutil.rmtree(folder, ignore_errors=True)
            backup.clear()
            if gone.posts:
                backup.append(write_removal_backup(store, folder, args.dataset, args.split))

    try:   # a backup cut short (Ctrl-C, a full disk) does not stay behind, looking whole
        if written_for.posts:
            backup.append(write_removal_backup(store, folder, args.dataset, args.split))
        gone = remove_splits(store, args.dataset, args.split, allowed)
    except BaseException:
        with contextlib.suppress(Exception):   # where nothing went, no copy of it lies about
            if split_footprint(store, args.dataset, args.split).posts == written_for.posts:
                shutil.rmtree(folder, ignore_errors=True)
        raise
    if not backup:
        print(f"Removed {gone.sentence()}.")
        return 0
    print(f"Removed {gone.sentence()}. The posts, their current labels and their images are in {folder} "
          f"(`cot-explorer import jsonl {backup[0]}` brings them back; their label history, teacher answers and "
          "cached predictions are not kept).")
    return 0


def _train(args: argparse.Namespace, store) -> int:
    # PyTorch is imported by the commands that train or predict, not by `stats` or `import`.
    from .student.service import config_from_args, default_task, train_from_store  # PyTorch, on use

    task = args.task or default_task(store, args.dataset, args.train_split)
    try:
        cfg = config_from_args(
            task=task, freeze_word_embeddings=task == "mner",  # MRE learns its marker embeddings
            variant=args.variant, backbone=args.backbone, epochs=args.epochs, batch_size=args.batch_size,
            lr=args.lr, seed=args.seed, knowledge_budget=args.knowledge_budget, n_prompts=args.n_prompts,
            lam=args.lam, temperature=args.temperature, train_fraction=args.train_fraction,
            mention_noise=args.mention_noise, shape_features=False if args.no_shape_features else None)
    except ValueError as e:  # a setting out of range: say which, no traceback
        raise CotExplorerError(str(e)) from None
    if args.teacher and args.variant != "kd":
        raise CotExplorerError(f"--teacher is for --variant kd, not {args.variant}")
    registry = Registry(store)
    teachers = [registry.path(t, task) for t in args.teacher]
    name = registry.reserve(args.name)  # refused before any training if the name is taken
    try:
        path, result = train_from_store(store, args.dataset, cfg, name, args.train_split, args.valid_split,
                                        teachers=teachers)
    finally:
        registry.release(name)
    registry.register(path)
    if args.promote:
        registry.promote(args.name, by=cli_user())
    print(json.dumps({"model": str(path), "best_epoch": result.best_epoch, "valid": result.best_valid,
                      "stopped": result.stopped, "promoted": args.promote}, indent=2))
    return 0


def _round(args: argparse.Namespace, store) -> int:
    """A round in the foreground, as a job the app shows; its report when it ends."""
    from .jobs import prepare_round, run_distill_here, version_saved

    home = store.home
    # no --variant: the one the app's plan suggests for the posts this round learns from
    params = prepare_round(home, args.dataset, args.name or "", args.variant, args.epochs, args.replay_ratio,
                           args.since, args.parent)
    said = _RoundEcho()
    print(f"round {params['name']} on {args.dataset} ({params['variant']}, {args.epochs} "
          f"epoch{'s' if args.epochs != 1 else ''})", file=sys.stderr)
    try:
        job = run_distill_here(home, params, said)
    except KeyboardInterrupt:
        said.end()
        print(f"stopped after {params['name']} was saved: its report was not kept (`models list` shows it)"
              if version_saved(home, params["name"]) else "cancelled: no version was saved", file=sys.stderr)
        return 130
    said.end()
    if job.status != "done":
        raise CotExplorerError(job.error or job.message or job.status)
    if args.json:
        print(json.dumps(job.result, indent=2))
        return 0
    r = job.result
    f = r.get("forgetting") or {}
    forget = (f"forgetting on {f['posts']} untouched posts: {f['change']['value']:+.2f} F1 "
              f"({f['change']['low']:+.2f} to {f['change']['high']:+.2f})" if f.get("change")
              else f"forgetting not measured ({f.get('posts', 0)} untouched posts)")
    lost = losses_said(r)
    print(f"{r['model']} from {r['parent']} ({r['variant']}, best epoch {r['best_epoch']}): {job.message[len('done: '):]}; "
          f"{forget}." + (f" {lost}" if lost else "") + f" Saved, not promoted: cot-explorer models promote {r['model']}")
    return 0


class _RoundEcho:
    """A round's progress on standard error: one line redrawn on a terminal, a line per phase
    elsewhere (a log)."""

    def __init__(self):
        self.tty = sys.stderr.isatty()
        self.phase = None

    def __call__(self, at: float, words: str) -> None:
        if self.tty:
            print(f"\r{round(100 * at):3d} % {words[:110]:<110}", end="", file=sys.stderr, flush=True)
            return
        phase = words.split(":")[0]
        if phase != self.phase:
            self.phase = phase
            print(f"{round(100 * at):3d} % {phase}", file=sys.stderr, flush=True)

    def end(self) -> None:
        if self.tty:
            print(file=sys.stderr)


def _evaluate(args: argparse.Namespace, store) -> int:
    from .datasets.sniff import labelled_file_format
    from .student.file_scores import evaluate_file, labelled_scores  # no PyTorch unless the backend is torch

    if args.split:
        if args.format:
            raise CotExplorerError("--format reads a file: a split of the store is in the store's own format")
        labelled = split_labels(store, *parse_split(store, args.split))
        if not labelled.posts:
            raise CotExplorerError(f"{args.split} has no posts with "
                                   f"{'relation' if labelled.task == 'mre' else 'entity'} labels to score")
        task, source = labelled.task, f"{args.split} in the store"
    else:
        fmt = args.format or labelled_file_format(args.data)
        task, source = ("mre" if fmt == "mnre" else "mner"), args.data
    registry = Registry(store)
    # scored as the app and rounds score: fp32, each post's answer its own (`consistent`)
    predictor = _predictor(registry.path(args.model, task), args.backend, args.dtype, consistent=True)
    entities = None
    if task == "mre" and predictor.manifest.config.get("relation_markers") == "typed":
        entities = _predictor(registry.default_path("mner"), args.backend, args.dtype, consistent=True)
    knowledge = None
    if args.split and task == "mner" and predictor.manifest.variant == "knowledge":
        from .student.cot_inputs import cot_inputs  # the store's chains of thought, read as the Errors tab reads them

        by_post = cot_inputs(store, labelled.posts)
        knowledge = [by_post[p.id] for p in labelled.posts]
    scores = labelled_scores(predictor, labelled, entities, knowledge) if args.split else \
        evaluate_file(predictor, args.data, fmt, entities)
    if args.json:
        print(json.dumps(scores, indent=2))
    else:
        alias = ", ".join(f"{a} read as {b}" for a, b in scores.get("alias", {}).items())
        # which F1: a relation figure read alone was taken for accuracy, or for one counting None
        what = "micro-F1 over the relations, None left out" if task == "mre" else "entity-level micro-F1"
        # the version's own name: "default" said nothing of which version that was
        print(f"{predictor.manifest.name if args.model == 'default' else args.model}: P {scores['precision']:.2f} R {scores['recall']:.2f} F1 {scores['f1']:.2f} ({what})"
              + (f" ({alias})" if alias else "") + f" [{scores['backend']}]")
        if args.split:   # which labels: the same split scored before a session of corrections reads otherwise
            n, c, u = scores["n_posts"], scores["corrected"], scores["unlabelled"]
            print(f"on the {n} post{'s' if n != 1 else ''} of {args.split} with {'relation' if task == 'mre' else 'entity'} "
                  f"labels, as they are in the store now: {c} of them corrected"
                  + (f"; {u} without labels left out" if u else "") + " (the Errors tab's figures)")
        if scores.get("posts_trained_on"):   # a score on what the model learnt flatters it: said under it
            n, of = scores["posts_trained_on"], scores["n_posts"]
            without = scores.get("f1_without_trained_on")
            print(f"{predictor.manifest.name} was trained on {n} of {of} posts of {source} (their words are in its "
                  "training data)" + (f": F1 {without:.2f} without them" if without is not None else "")
                  + ("; this score flatters it: score it on posts it has not learnt to see how it does on new posts"
                     if n / of >= 0.05 else ""))
        if scores.get("repaired_tags"):   # import refuses these without --repair-bio: scoring them is said
            n = scores["repaired_tags"]
            print(f"{n} I- tag{'s' if n != 1 else ''} that start{'' if n != 1 else 's'} an entity in {args.data} "
                  "read as B- (as import --repair-bio would)")
    return 0


def _predictor(path: Path, backend: str | None, dtype: str | None, consistent: bool = False):
    from .student.inference import load_predictor  # the backend's modules, on use

    return load_predictor(path, backend, dtype, consistent=consistent)


def _count_lines(path: str) -> int | None:
    """Lines of a file, for the progress bar's total (a pipe has no total)."""
    if path == "-":
        return None
    with open(path, "rb") as f:
        return sum(block.count(b"\n") for block in iter(lambda: f.read(1 << 20), b""))


def _predict(args: argparse.Namespace, store) -> int:
    from .student.jsonl_predict import predict_lines

    if args.batch_size is not None and args.batch_size < 1:
        raise CotExplorerError("--batch-size must be at least 1")
    registry = Registry(store)
    predictor = _predictor(registry.path(args.model), args.backend, args.dtype)
    # a relation model: the default entity model finds the arguments of the pairs it answers,
    # typed as the app and `evaluate` type them (fp32, each post's answer its own)
    entities = (_predictor(registry.default_path("mner"), args.backend, args.dtype, consistent=True)
                if predictor.manifest.task == "mre" else None)
    if args.input != "-" and args.output != "-" and Path(args.output).resolve() == Path(args.input).resolve():
        raise CotExplorerError("--out is the --in file: write the predictions somewhere else")
    # an invalid byte read as a lone surrogate, refused with its line number (it was a traceback)
    if args.input == "-":
        if hasattr(sys.stdin, "reconfigure"):   # a real stream (not one handed in as text)
            sys.stdin.reconfigure(errors="surrogateescape")
        src = sys.stdin
    else:
        src = open(args.input, encoding="utf-8", errors="surrogateescape")
    # into a temporary file beside --out, put in its place once every line is predicted
    # (export_file): a bad line left a 0-byte --out, an existing one emptied
    with contextlib.ExitStack() as stack:
        if src is not sys.stdin:
            stack.enter_context(src)
        dst = sys.stdout if args.output == "-" else stack.enter_context(export_file(store, args.output, args.force))
        bar = None
        if not args.no_progress and args.output != "-":
            from tqdm import tqdm

            bar = stack.enter_context(tqdm(total=_count_lines(args.input), unit="posts",
                                           desc=f"predicting ({predictor.backend})", file=sys.stderr,
                                           dynamic_ncols=True))
        # steps of 256 lines: fewer, fuller fp32 re-reads for int8; to stdout the first of 32,
        # doubled up to 256, so that a pipe gets its first lines soon
        per_step = args.batch_size or 256
        first = 32 if args.output == "-" and not args.batch_size else None
        written = 0
        try:
            for rec in predict_lines(predictor, src, batch_size=per_step, first_step=first, entities=entities):
                # a blank line for a blank line: the output's lines are the input's
                dst.write("\n" if rec is None else json.dumps(rec, ensure_ascii=False) + "\n")
                written += 1
                if bar is not None:
                    bar.update(1)
                elif dst is sys.stdout:
                    dst.flush()   # a line as soon as it is predicted
        except CotExplorerError as e:
            if dst is sys.stdout and written:   # a stream cannot be taken back: say how far it went
                raise CotExplorerError(f"{e} (the {written} lines before it were written to standard output)") from e
            raise
    return 0


def cli_user() -> str:
    """Who a promotion or roll-back from a terminal is recorded as: the account, beside "cli"
    (every one read "cli", no person)."""
    try:
        return f"{getpass.getuser()} (cli)"
    except (KeyError, OSError):   # no name for the process's uid (a bare container)
        return "cli"


def _models(args: argparse.Namespace, store) -> int:
    reg = Registry(store)
    if args.action == "promote":
        if not args.name:
            raise CotExplorerError("promote needs a model name")
        task = reg.manifest(args.name).task
        was = reg.default_name(task)
        if reg.path(args.name) == reg.default_path(task):   # by name, "default" or a path alike
            raise CotExplorerError(f"{args.name} is the default {task} model already"
                                   + (f" ({was})" if was != args.name else ""))
        # as the app's Promote: a round's version that scored below the default on its held-out
        # posts needs a reason; one whose round was never set beside the default's score needs one
        # too (continued from another version, it was promoted without a word after its round had
        # said "a real loss: do not promote it")
        manifest = reg.manifest(args.name)
        new_f1 = held_out_f1(manifest)
        old_f1 = default_score_beside(reg, manifest, was) if new_f1 is not None else None
        dataset = manifest.data.get("dataset")
        scores = (f" (held-out F1 {new_f1:.2f} on {dataset}; {was} had {old_f1:.2f})"
                  if new_f1 is not None and old_f1 is not None else "")
        reason = (args.reason or "").strip()
        if new_f1 is not None and old_f1 is not None and new_f1 < old_f1 and not reason:
            raise CotExplorerError(f"{args.name} scored {new_f1:.2f} on the held-out posts of {dataset}, below the "
                                   f"default {was} ({old_f1:.2f}); give --reason to promote it anyway (recorded)")
        gain = round_gain_over(manifest, was)   # its own round, against this default: no clear gain needs one too
        if gain is not None and gain_direction(gain) != "gain" and not reason:
            found = "a real loss" if gain_direction(gain) == "loss" else "no clear change"
            raise CotExplorerError(f"{args.name}'s round found {found} over {was} on the held-out posts of {dataset} "
                                   f"({gain['value']:+.2f} F1, 95 % interval {gain['low']:+.2f} to {gain['high']:+.2f}); "
                                   "give --reason to promote it anyway (recorded)")
        if new_f1 is not None and old_f1 is None and not reason:
            raise CotExplorerError(f"{args.name} was never scored beside the default {was} on the held-out posts of "
                                   f"{dataset} (it continued {manifest.parent or 'another version'}); promote it in the "
                                   "app's Distill tab, which scores both, or give --reason to promote it as it is "
                                   "(recorded)")
        reg.promote(args.name, by=cli_user(), reason=reason or None)
        print(f"promoted {args.name}{scores}: the default {task} model is {args.name} now ({was} before it; "
              f"`models rollback {args.name}` undoes it)")
        return 0
    elif args.action == "rollback":
        task, was, now = reg.roll_back(args.name, by=cli_user(), reason=(args.reason or "").strip() or None)
        print(f"rolled back {was}: the default {task} model is {now} again")
        return 0
    elif args.action == "history":
        events = promotion_history(store)
        if not events:
            print("no promotion yet: the shipped defaults are the defaults")
        for e in events:
            print(f"{e.at[:19].replace('T', ' ')} UTC  {e.task}  {e.what()}  by {e.by or 'unknown'}"
                  + (f"  (why: {e.reason})" if e.reason else ""))
        return 0
    elif args.action == "quantize":
        from .student.quantize import measure_and_record  # ONNX export needs PyTorch, on use

        if not args.name:
            raise CotExplorerError("quantize needs a model name")
        path = reg.path(args.name)
        entities = reg.default_path("mner") if Manifest.read(path).task == "mre" else None
        record = measure_and_record(path, args.data, entities)
        print(json.dumps(record, indent=2))
        return 0
    if args.name:
        raise CotExplorerError(f"models list takes no name (got {args.name!r}); `models list` shows them all")
    print(f"  {'version':30} {'task':5} {'variant':14} {'headline F1':22} created (* the default of its task)")
    for m in reg.list():
        headline = m.manifest.headline_f1()
        figure = f"F1 {headline[0]:.2f} ({headline[1]})" if headline else "F1 - (not measured)"
        mark = "*" if reg.default_path(m.manifest.task) == m.path else " "
        print(f"{mark} {m.name:30} {m.manifest.task:5} {m.manifest.variant:14} {figure:22} "
              f"{'shipped' if m.shipped else m.manifest.created_at}")
    return 0


def _teach(args: argparse.Namespace, store) -> int:
    from .teacher.run import check_asked_for, teach  # the SDK and the prompts, on use

    grains = [g.strip() for g in args.grains.split(",") if g.strip()]
    augment = [a.strip() for a in args.augment.split(",") if a.strip()]
    check_asked_for(grains, augment)   # before the teacher is made (a misspelt grain failed once per post)
    if args.teacher == "recorded":
        from .teacher.recorded_teacher import RecordedTeacher  # the teachers, on use

        teacher = RecordedTeacher(store)
    else:
        from .teacher.anthropic_teacher import DEFAULT_MODEL, AnthropicTeacher  # the SDK, on use

        teacher = AnthropicTeacher(args.model or DEFAULT_MODEL, concurrency=args.concurrency)
    summary = teach(store, teacher, args.dataset, args.split, grains, augment, args.limit, args.batch, args.poll_seconds)
    summary.augmented_posts = write_augmented(store, summary.augmented)  # the teacher writes no posts
    print(json.dumps(summary.to_json(), indent=2) if args.json else summary.line())
    for example in summary.error_examples:
        print(f"  error: {example}", file=sys.stderr)
    if summary.errors:   # a run of errors ended with exit 0: a script went on as if taught
        # the recorded teacher has what it has: a run again only asks it the same (it was told to)
        again = ("the recorded teacher has nothing more for these posts, so a run again will not change that; "
                 "the live teacher (--teacher anthropic, with ANTHROPIC_API_KEY) can write their chains of thought"
                 if args.teacher == "recorded" else "a run again asks only for the rest")
        print(f"error: {summary.errors} request{'s' if summary.errors != 1 else ''} failed; the answers that came are "
              f"kept, and {again}", file=sys.stderr)
        return 1
    return 0


def _users(args: argparse.Namespace, store) -> int:
    path = args.file or (Path(os.environ[USERS_FILE_ENV]) if os.environ.get(USERS_FILE_ENV) else default_users_file())
    known = read_users_file(path) if path.exists() else {}
    if args.action == "list":
        for name, account in known.items():
            print(f"{name}\t{account.role.value}")
        print(f"{len(known)} user{'' if len(known) == 1 else 's'} in {path}", file=sys.stderr)
        return 0
    if not args.name:
        raise CotExplorerError(f"users {args.action} needs the user's name")
    if args.action == "remove":
        remove_user(path, args.name)
        left = read_users_file(path)
        warn = ("; no user is left in it: nobody can sign in until one is added (the app keeps its login page)"
                if not left else "; no admin is left in it: nobody can start rounds or promote until one is added"
                if all(a.role.value != "admin" for a in left.values()) else "")
        print(f"{args.name} is no longer a user (removed from {path}); a running app refuses them at their next "
              f"action{warn}")
        return 0
    if not args.role:
        raise CotExplorerError("users add needs --role (viewer, annotator or admin)")
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        try:
            password = getpass.getpass(f"password for {args.name}: ")
        except EOFError:   # no terminal to type it in (a script, a pipe)
            raise CotExplorerError("no terminal to type the password in: pipe it in with --password-stdin") from None
    add_user(path, args.name, args.role, password)
    before = known.get(args.name)
    was = (f" (was {before.role.value}; their password is the new one, and their open sessions end: they sign in "
           "again)" if before else "")
    print(f"{args.name} is now {args.role} in {path}{was}. An app showing its login page reads it at the next "
          "sign-in or action; one started with no users shows the login page once restarted.")
    return 0


COMMANDS = {"teach": _teach, "import": _import, "export": _export, "add-post": _add_post, "stats": _stats, "blind": _blind, "train": _train,
            "round": _round,
            "evaluate": _evaluate, "predict": _predict, "models": _models, "users": _users, "remove": _remove}


def _check_arguments(args: argparse.Namespace) -> None:
    """Arguments are text: invalid UTF-8 (decoded by Python as lone surrogates) or control
    characters are refused here, before they could reach a name, a path or the store."""
    for key, value in vars(args).items():
        values = value if isinstance(value, list) else [value]
        for v in values:
            if isinstance(v, (str, Path)):
                check_text(str(v), f"--{key.replace('_', '-')}")


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        _check_arguments(args)
        with open_store(getattr(args, "home", None)) as store:
            return COMMANDS[args.command](args, store)
    except CotExplorerError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        # the reader went away (`| head`): nothing to say, and nothing more to write to it (Python
        # would complain again as it flushes standard output on the way out)
        with contextlib.suppress(OSError, ValueError, io.UnsupportedOperation):   # no descriptor (in-process)
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            os.close(devnull)
        return 141   # as a program stopped by SIGPIPE
    except OSError as e:
        if e.errno in DISK_FULL_ERRNOS:
            print(f"error: {disk_full_message(e.filename or 'a file')}", file=sys.stderr)
        else:
            print(f"error: {e.filename or ''}: {e.strerror}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
