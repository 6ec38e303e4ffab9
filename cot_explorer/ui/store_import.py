"""A dataset file imported from the Store tab (admins): the CLI's `import twitter|mnre|jsonl|knowledge|captions`
for an app with no terminal beside it (on a Space, a walker found the tab a dead end: it
listed commands to run, and no one could run them). The same importer, so the same checks:
all or nothing, every bad line said at once."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from ..datasets.sniff import importable_file_format
from ..datasets.twitter_conll import tag_types
from ..errors import CotExplorerError, ParseError, ValidationError
from ..importer import import_captions, import_jsonl, import_knowledge, import_mnre, import_twitter
from ..labels import mner_schema_for
from ..store import open_store
from ..store.posts import dataset_known, dataset_schema
from ..student.learnt_at_import import learnt_note

DETECT = "Detect from the file"
FORMATS = {
    DETECT: None,
    "Twitter CoNLL (IMGID: lines, a token and its tag a line)": "twitter",
    "MNRE (one {'token': …} object a line)": "mnre",
    "JSONL (the app's own export, or posts of your own)": "jsonl",
    # the teacher's reasoning and the captions of posts imported already (on a Space there is no
    # terminal for `import knowledge|captions`, and the picker refused them as of no known kind)
    "The teacher's recorded reasoning (a post's tagged words, <EOS>, its chain of thought)": "knowledge",
    "Captions (“image name :caption”, a line; for the dataset's images, any split)": "captions",
}
KNOWLEDGE_MARK = b"<EOS>\tX"
CAPTION_LINE = re.compile(rb"^\S+\.(jpe?g|png|gif|webp)\s*:", re.IGNORECASE)


# the importer's refusals name the CLI's options; here, the boxes of the form
CLI_WORDS = {
    "(choose another --dataset/--split or --home)": "(choose another dataset or split name)",
    "(--repair-bio reads it as": "(ticking “an I- tag may start an entity” reads it as",
    "none given with --dataset/--split": "none given above",
    "other datasets than --dataset ": "other datasets than ",
}


def in_app_words(message: str) -> str:
    """A refusal said with the form's words (and the name the file was picked under)."""
    for cli, app in CLI_WORDS.items():
        message = message.replace(cli, app)
    return message


SPLIT_WORDS = ("train", "valid", "validation", "dev", "val", "test")


def split_named_by(filename: str) -> str | None:
    """The split a file's name says it is (valid.txt, mnre_test.txt, t17-dev.conll), the form's
    guess: the Split box said "train" whatever was picked, and a walker imported valid.txt as train."""
    words = re.split(r"[^a-z0-9]+", Path(filename).stem.lower())
    return next((w for w in reversed(words) if w in SPLIT_WORDS), None)


def split_box_after_pick(path: str | None, typed: str | None) -> str | None:
    """The Split box once a file is picked: the split its name says, unless the box holds a name
    of the admin's own (one that is not a split word nor empty); None: leave it as it is."""
    guess = split_named_by(path) if path else None
    now = (typed or "").strip().lower()
    return guess if guess and (not now or now in SPLIT_WORDS) else None


def detect_format(path: str) -> str:
    """twitter, mnre or jsonl, from the file's first line with text (datasets.sniff)."""
    with open(path, "rb") as f:
        head = f.read(1 << 16)
    if not head.strip():   # said as such (it read as a file of another kind)
        raise ValidationError("the file is empty (or holds only blank lines): nothing to import")
    if KNOWLEDGE_MARK in head:
        return "knowledge"
    first = next((line for line in head.splitlines() if line.strip()), b"")
    if CAPTION_LINE.match(first):
        return "captions"
    try:
        return importable_file_format(path)
    except ParseError:
        raise ValidationError("the file's first line is neither a Twitter CoNLL post (IMGID:…), an MNRE line "
                              "({'token': …}) nor a JSON object: is it the right file? Choose its format above if "
                              "it is one of those") from None


@dataclass(frozen=True)
class Imported:
    """What an import from the Store tab said, and the dataset/split its posts went into (None
    for reasoning or captions, of posts there already): the tab offers to annotate it."""
    said: str
    posts_in: str | None


def import_file(home: Path, path: str | None, format_label: str | None, dataset: str | None, split: str | None,
                repair_bio: bool = False) -> Imported:
    """Import the file into the store: a sentence saying what came in, and where its posts went
    (the importer's refusal, as a CotExplorerError, otherwise)."""
    if not path:
        # a file of another kind was refused as it was picked (Gradio's corner note): said here too
        raise ValidationError("choose a file to import first: a .txt, .conll, .jsonl, .json or .tsv file (a file of "
                              "another kind is not taken when picked)")
    dataset, split = (dataset or "").strip(), (split or "").strip()
    if format_label not in FORMATS:
        raise ValidationError("choose the file's format (or let it be detected)")
    fmt = FORMATS[format_label] or detect_format(path)
    if not dataset and fmt != "jsonl":   # a JSONL line may name its own
        raise ValidationError("name the dataset the posts go into")
    if not split and fmt not in ("jsonl", "captions"):   # captions are of the dataset's images, any split
        raise ValidationError("name the split (train, valid, test or one of your own)"
                              + (" whose posts the reasoning is about" if fmt == "knowledge" else ""))
    name = Path(path).name
    try:
        with open_store(home) as store:
            if fmt == "twitter":
                # a file in other type names (Twitter-2015's OTHER) is read in its own; a file in
                # the dataset's names, or some of them, in the dataset's (a subset made a schema
                # of its own, which no model of the app predicts)
                if dataset_known(store, dataset):   # another split of it: in its types
                    types = list(dataset_schema(store, dataset).types)
                else:
                    found = tag_types(path)
                    types = list(found) if set(found) - set(mner_schema_for(dataset).types) else None
                report = import_twitter(store, path, dataset, split, types, repair_bio, source=name)
            elif fmt == "mnre":
                report = import_mnre(store, path, dataset, split, source=name)
            elif fmt == "knowledge":
                report = import_knowledge(store, path, dataset, split)
            elif fmt == "captions":
                report = import_captions(store, path, dataset)
            else:
                report = import_jsonl(store, path, dataset or None, split or None, source=name)
    except CotExplorerError as e:
        raise ValidationError(in_app_words(str(e).replace(str(path), name))) from e
    report.path = name   # said by the name it was picked under (recorded, and hashed, by its copy's path)
    with open_store(home) as store:   # of posts there already (knowledge, captions): no posts came in to have learnt
        learnt = learnt_note(store, report.dataset, report.split) if fmt not in ("knowledge", "captions") else None
    notes = "".join(f" Note: {n[0].upper() + n[1:]}{'' if n.endswith('.') else '.'}"
                    for n in [*report.notes, *([learnt] if learnt else [])])
    if fmt in ("knowledge", "captions"):
        return Imported(f"Imported `{name}`: {report.summary(notes=False)}.{notes} Explore, Annotate and Distill read "
                        "it now" + (" (the distill variant learns from the chain of thought)." if fmt == "knowledge"
                                    else "."), None)
    return Imported(f"Imported `{name}`: {report.summary(notes=False)}.{notes} Its posts are in Annotate, Errors and "
                    "Distill now.", f"{report.dataset}/{report.split}" if report.split and report.posts else None)
