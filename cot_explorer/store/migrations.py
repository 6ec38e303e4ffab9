"""The SQLite schema, declared once, changed only by appending numbered migrations.

`PRAGMA user_version` holds the number of the last migration applied. A step is an SQL
statement, or a function of the connection for what SQL cannot do (decoding stored JSON).
"""

from __future__ import annotations

import json
import sqlite3

from ..datasets.pgim_knowledge import explanation, parse_pgim_text, pgim_grains
from ..schema import COT_GRAINS, GrainText
from .keys import image_id, key_of

RECORDED_TEACHER = "chatgpt-pgim"   # the recorded ChatGPT knowledge, as imported before migration 3


def _teacher_output_columns(conn: sqlite3.Connection) -> None:
    """Fill the new columns of answers stored before them, so one reader serves them all:
    grains and relation decoded from Claude's JSON answers, the recorded ChatGPT text as
    grains (and as the text the student reads, as it always did), its slot named `cot`."""
    rows = conn.execute(
        """SELECT t.id, t.teacher, t.model, t.template_version, t.grain, t.raw, p.text, p.image_sha256,
                  p.image_name FROM teacher_outputs t JOIN posts p ON p.id = t.post_id""").fetchall()
    for tid, teacher, model, version, slot, raw, text, sha, name in rows:
        grains: list[GrainText] = []
        relation = None
        new_slot, written = slot, None
        if teacher == RECORDED_TEACHER:
            grains = list(pgim_grains(raw))
            new_slot, written = "cot", raw
        elif not slot.startswith("augment:") and raw.startswith("{"):
            try:
                answer = json.loads(raw)
            except ValueError:
                answer = {}
            grains = [GrainText(g, g.value.capitalize(), answer[g.value]) for g in COT_GRAINS
                      if isinstance(answer.get(g.value), str)]
            rel = answer.get("relation")
            if isinstance(rel, dict) and isinstance(rel.get("label"), str):
                relation = json.dumps({"label": rel["label"], "rationale": str(rel.get("rationale", ""))})
        key = key_of(text, image_id(sha, name), model, version, new_slot) if new_slot != slot else None
        conn.execute(
            "UPDATE teacher_outputs SET grain = ?, grains = ?, relation = ?, text = coalesce(?, text),"
            " cache_key = coalesce(?, cache_key) WHERE id = ?",
            (new_slot, json.dumps([g.to_json() for g in grains], ensure_ascii=False), relation, written, key, tid))

def _recorded_explanations(conn: sqlite3.Connection) -> None:
    """The recorded ChatGPT answers stored before their entities carried explanations: each
    entity gets the reasoning's sentence that names it, the noun grain lists them, and the
    multimodal grain reads the post's caption, as an import does now."""
    rows = conn.execute(
        """SELECT t.id, t.raw, t.entities, (SELECT c.text FROM captions c WHERE c.dataset = p.dataset
                  AND c.image_name = p.image_name ORDER BY c.model LIMIT 1)
           FROM teacher_outputs t JOIN posts p ON p.id = t.post_id WHERE t.teacher = ?""",
        (RECORDED_TEACHER,)).fetchall()
    for tid, raw, entities, caption in rows:
        reasoning = parse_pgim_text(raw).reasoning
        ents = json.loads(entities or "[]")
        for e in ents:
            if not e.get("rationale"):
                e["rationale"] = explanation(str(e.get("text", "")), reasoning)
        conn.execute("UPDATE teacher_outputs SET entities = ?, grains = ? WHERE id = ?",
                     (json.dumps(ents, ensure_ascii=False),
                      json.dumps([g.to_json() for g in pgim_grains(raw, caption)], ensure_ascii=False), tid))


def _undo_sources(conn: sqlite3.Connection) -> None:
    """Undos and redos saved before migration 8 said `annotator` whatever labels they brought
    back: they take the source of the labels they restore (an undo back to the imported labels
    is `gold`, and the post no longer counts as corrected)."""
    info = {v: (action, restores, source) for v, action, restores, source in
            conn.execute("SELECT version, action, restores, source FROM labels")}
    for version, (action, restores, _) in info.items():
        if action not in ("undo", "redo") or restores is None:
            continue
        origin = restores
        while info[origin][0] in ("undo", "redo") and info[origin][1] is not None:
            origin = info[origin][1]
        conn.execute("UPDATE labels SET source = ? WHERE version = ?", (info[origin][2], version))


def _answers_per_post(conn: sqlite3.Connection) -> None:
    """teacher_outputs keyed by (cache key, post), not by the cache key alone: two posts with
    the same text and image (one file imported as two splits, an upload of a demo tweet) share
    the teacher's answer, and each keeps its own row of it. With the key unique, the second
    post's answer was dropped on insert: `teach` counted it a cache hit and attached nothing,
    and an ask in Explore paid for an answer that was never shown."""
    columns = [r[1] for r in conn.execute("PRAGMA table_info(teacher_outputs)")]
    conn.execute("""CREATE TABLE teacher_outputs_v10 (
        id INTEGER PRIMARY KEY,
        cache_key TEXT NOT NULL,             -- sha256(text, image hash, template version, model, slot)
        post_id TEXT NOT NULL REFERENCES posts(id),
        teacher TEXT NOT NULL,
        model TEXT NOT NULL,
        template_version TEXT NOT NULL,
        grain TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('ok', 'error')),
        text TEXT NOT NULL,
        entities TEXT NOT NULL,
        raw TEXT NOT NULL,
        error TEXT,
        input_tokens INTEGER,
        output_tokens INTEGER,
        latency_s REAL,
        cost_usd REAL,
        created_at TEXT NOT NULL,
        grains TEXT NOT NULL DEFAULT '[]',
        relation TEXT,
        kind TEXT NOT NULL DEFAULT 'cot' CHECK (kind IN ('cot', 'augment')),
        pair TEXT,
        UNIQUE (cache_key, post_id)
    )""")
    names = ", ".join(columns)
    conn.execute(f"INSERT INTO teacher_outputs_v10 ({names}) SELECT {names} FROM teacher_outputs")
    conn.execute("DROP TABLE teacher_outputs")
    conn.execute("ALTER TABLE teacher_outputs_v10 RENAME TO teacher_outputs")
    conn.execute("CREATE INDEX teacher_outputs_by_post ON teacher_outputs(post_id, grain)")
    conn.execute("CREATE INDEX teacher_outputs_knowledge ON teacher_outputs(post_id, kind, status, pair)")
    conn.execute("CREATE INDEX teacher_outputs_by_key ON teacher_outputs(cache_key, status)")


MIGRATIONS: list[tuple[int, str, tuple[str, ...]]] = [
    (
        1,
        "initial schema",
        (
            """CREATE TABLE datasets (
                name TEXT PRIMARY KEY,
                entity_types TEXT NOT NULL,          -- JSON list, the MNER label set of this dataset
                created_at TEXT NOT NULL
            )""",
            """CREATE TABLE images (
                sha256 TEXT PRIMARY KEY,
                path TEXT NOT NULL,                  -- relative to the store's home
                media_type TEXT NOT NULL,
                width INTEGER NOT NULL CHECK (width > 0),
                height INTEGER NOT NULL CHECK (height > 0),
                bytes INTEGER NOT NULL CHECK (bytes > 0),
                created_at TEXT NOT NULL
            )""",
            """CREATE TABLE posts (
                id TEXT PRIMARY KEY,
                dataset TEXT NOT NULL REFERENCES datasets(name),
                split TEXT NOT NULL,
                position INTEGER NOT NULL,           -- order in the source file
                text TEXT NOT NULL CHECK (length(trim(text)) > 0),
                tokens TEXT NOT NULL,                -- JSON list of strings
                offsets TEXT NOT NULL,               -- JSON list of [start, end] character offsets
                image_name TEXT,                     -- the image as the source names it
                image_sha256 TEXT REFERENCES images(sha256),
                source TEXT NOT NULL,                -- file or 'upload' the post came from
                created_at TEXT NOT NULL,
                UNIQUE (dataset, split, position)
            )""",
            "CREATE INDEX posts_image ON posts(dataset, image_name)",
            """CREATE TABLE captions (
                dataset TEXT NOT NULL,
                image_name TEXT NOT NULL,
                model TEXT NOT NULL,
                text TEXT NOT NULL,
                created_at TEXT NOT NULL,
                PRIMARY KEY (dataset, image_name, model)
            )""",
            """CREATE TABLE labels (
                version INTEGER PRIMARY KEY AUTOINCREMENT,
                post_id TEXT NOT NULL REFERENCES posts(id),
                task TEXT NOT NULL CHECK (task IN ('mner', 'mre')),
                source TEXT NOT NULL CHECK (source IN ('gold', 'student', 'teacher', 'annotator')),
                author TEXT NOT NULL,
                model_version TEXT,
                payload TEXT NOT NULL,               -- JSON {"spans": [...]} or {"relations": [...]}
                created_at TEXT NOT NULL,
                replaces INTEGER REFERENCES labels(version)
            )""",
            # History is a chain: one root per post and task, and no version replaced twice.
            # These indexes make a lost update impossible even if application checks were skipped.
            "CREATE UNIQUE INDEX labels_one_root ON labels(post_id, task) WHERE replaces IS NULL",
            "CREATE UNIQUE INDEX labels_replaced_once ON labels(replaces) WHERE replaces IS NOT NULL",
            "CREATE INDEX labels_by_post ON labels(post_id, task, version)",
            """CREATE VIEW current_labels AS
                SELECT l.* FROM labels l
                WHERE l.version = (SELECT max(version) FROM labels m
                                   WHERE m.post_id = l.post_id AND m.task = l.task)""",
            """CREATE TABLE teacher_outputs (
                id INTEGER PRIMARY KEY,
                cache_key TEXT NOT NULL UNIQUE,      -- sha256(text, image hash, template version, model)
                post_id TEXT NOT NULL REFERENCES posts(id),
                teacher TEXT NOT NULL,
                model TEXT NOT NULL,
                template_version TEXT NOT NULL,
                grain TEXT NOT NULL,
                status TEXT NOT NULL CHECK (status IN ('ok', 'error')),
                text TEXT NOT NULL,
                entities TEXT NOT NULL,              -- JSON list of proposed entities
                raw TEXT NOT NULL,
                error TEXT,
                input_tokens INTEGER,
                output_tokens INTEGER,
                latency_s REAL,
                cost_usd REAL,
                created_at TEXT NOT NULL
            )""",
            "CREATE INDEX teacher_outputs_by_post ON teacher_outputs(post_id, grain)",
            """CREATE TABLE model_versions (
                name TEXT PRIMARY KEY,
                task TEXT NOT NULL CHECK (task IN ('mner', 'mre')),
                variant TEXT NOT NULL,
                path TEXT NOT NULL,
                backbone TEXT NOT NULL,
                parent TEXT REFERENCES model_versions(name),
                manifest TEXT NOT NULL,              -- JSON, the checkpoint's manifest
                metrics TEXT NOT NULL,               -- JSON
                created_at TEXT NOT NULL,
                promoted_at TEXT                     -- newest promoted version is the default
            )""",
            """CREATE TABLE predictions (
                post_id TEXT NOT NULL REFERENCES posts(id),
                task TEXT NOT NULL CHECK (task IN ('mner', 'mre')),
                model_version TEXT NOT NULL REFERENCES model_versions(name),
                payload TEXT NOT NULL,               -- JSON labels with confidences
                created_at TEXT NOT NULL,
                PRIMARY KEY (post_id, task, model_version)
            )""",
            """CREATE TABLE jobs (
                id INTEGER PRIMARY KEY,
                kind TEXT NOT NULL,
                status TEXT NOT NULL CHECK (status IN ('queued', 'running', 'done', 'failed', 'cancelled')),
                params TEXT NOT NULL,
                step INTEGER NOT NULL DEFAULT 0,
                total INTEGER NOT NULL DEFAULT 0,
                message TEXT NOT NULL DEFAULT '',
                result TEXT,
                error TEXT,
                cancel_requested INTEGER NOT NULL DEFAULT 0,
                created_at TEXT NOT NULL,
                updated_at TEXT NOT NULL
            )""",
            """CREATE TABLE imports (
                id INTEGER PRIMARY KEY,
                kind TEXT NOT NULL,
                path TEXT NOT NULL,
                sha256 TEXT NOT NULL,                -- of the imported file, for model manifests
                dataset TEXT NOT NULL,
                split TEXT,
                summary TEXT NOT NULL,               -- JSON report
                created_at TEXT NOT NULL
            )""",
        ),
    ),
    (
        2,
        "who asked the live teacher, when, and what it cost (rate limits and the daily cap)",
        (
            """CREATE TABLE teacher_requests (
                id INTEGER PRIMARY KEY,
                user TEXT NOT NULL,
                post_id TEXT NOT NULL,
                status TEXT NOT NULL CHECK (status IN ('pending', 'ok', 'error')),
                cost_usd REAL NOT NULL DEFAULT 0,
                created_at TEXT NOT NULL
            )""",
            "CREATE INDEX teacher_requests_by_user ON teacher_requests(user, created_at)",
            "CREATE INDEX teacher_requests_by_time ON teacher_requests(created_at)",
        ),
    ),
    (
        3,
        "teacher answers keep their grains, relation and kind, so one typed reader serves them all",
        (
            "ALTER TABLE teacher_outputs ADD COLUMN grains TEXT NOT NULL DEFAULT '[]'",  # JSON list of GrainText
            "ALTER TABLE teacher_outputs ADD COLUMN relation TEXT",   # JSON {label, rationale}: an entity pair's
            """ALTER TABLE teacher_outputs ADD COLUMN kind TEXT NOT NULL DEFAULT 'cot'
               CHECK (kind IN ('cot', 'augment'))""",
            "ALTER TABLE teacher_outputs ADD COLUMN pair TEXT",       # `<head>><tail>` for an MRE answer
            "UPDATE teacher_outputs SET kind = 'augment' WHERE grain LIKE 'augment:%'",
            "UPDATE teacher_outputs SET pair = substr(grain, 5) WHERE grain LIKE 'cot:%'",
            _teacher_output_columns,
            "CREATE INDEX teacher_outputs_knowledge ON teacher_outputs(post_id, kind, status, pair)",
        ),
    ),
    (
        4,
        "who promoted a version and why (promoting one that scored lower asks for a reason)",
        (
            "ALTER TABLE model_versions ADD COLUMN promoted_by TEXT",
            "ALTER TABLE model_versions ADD COLUMN promote_reason TEXT",
        ),
    ),
    (
        5,
        "what a label version did (save, undo, redo, merge) and which version's labels it restores",
        (
            """ALTER TABLE labels ADD COLUMN action TEXT NOT NULL DEFAULT 'save'
               CHECK (action IN ('save', 'undo', 'redo', 'merge'))""",
            "ALTER TABLE labels ADD COLUMN restores INTEGER REFERENCES labels(version)",  # undo/redo: whose labels
            "ALTER TABLE labels ADD COLUMN undoes INTEGER REFERENCES labels(version)",    # undo: the version undone;
                                                                                          # redo: the undo reversed
            "CREATE INDEX labels_by_time ON labels(created_at)",
        ),
    ),
    (
        6,
        "each dataset's held-out posts, fixed by its first distillation round: every later version is scored on them",
        (
            """CREATE TABLE heldout_posts (
                dataset TEXT NOT NULL REFERENCES datasets(name),
                post_id TEXT NOT NULL REFERENCES posts(id),
                chosen_by TEXT NOT NULL,             -- 'test split' or 'sample'
                created_at TEXT NOT NULL,
                PRIMARY KEY (dataset, post_id)
            )""",
        ),
    ),
    (
        7,
        "the recorded ChatGPT answers' entities explained by their reasoning's sentences (noun grain)",
        (_recorded_explanations,),
    ),
    (
        8,
        "a post whose first labels were undone has none again; an undo keeps the source of the labels it "
        "restores; imported first versions are marked (undo stops there)",
        (
            _undo_sources,
            # where undo stops: a first version from an import, whatever its source (before this
            # migration told by the importer's name or a source no editor writes)
            "ALTER TABLE labels ADD COLUMN imported INTEGER NOT NULL DEFAULT 0",
            """UPDATE labels SET imported = 1 WHERE replaces IS NULL AND action = 'save'
               AND (source != 'annotator' OR author = 'import')""",
            "DROP VIEW current_labels",
            # An undo that restores nothing (restores NULL) took back the post's first labels:
            # it heads the history (a save is based on it) but is no labels.
            """CREATE VIEW current_labels AS
                SELECT l.* FROM labels l
                WHERE l.version = (SELECT max(version) FROM labels m
                                   WHERE m.post_id = l.post_id AND m.task = l.task)
                AND NOT (l.action = 'undo' AND l.restores IS NULL)""",
        ),
    ),
    (
        9,
        "cached predictions made before the app kept fp32 answers only are dropped (made again on first need)",
        (
            # int8 answers moved with the posts batched beside them, and bf16 ones were not fp32's:
            # kept, a post's suggestion and every score read from them differed from a round's
            # and `evaluate`'s (student/inference.py, `consistent`)
            "DELETE FROM predictions",
        ),
    ),
    (
        10,
        "each post keeps its own row of a teacher answer it shares with another post of the same text and image",
        (_answers_per_post,),
    ),
    (
        11,
        "every promotion and roll-back kept, with who and why: a roll-back cleared the version's promoted_at, and "
        "nothing told that it had ever been the default",
        (
            """CREATE TABLE promotions (
                id INTEGER PRIMARY KEY,
                task TEXT NOT NULL,
                action TEXT NOT NULL CHECK (action IN ('promote', 'rollback')),
                version TEXT NOT NULL,        -- promoted, or rolled back (no longer the default)
                other TEXT,                   -- the default it replaced, or the one that came back
                by TEXT,
                reason TEXT,
                at TEXT NOT NULL
            )""",
            "CREATE INDEX promotions_by_time ON promotions(at)",
            # the promotions standing now are all that is known of the time before
            """INSERT INTO promotions (task, action, version, by, reason, at)
               SELECT task, 'promote', name, promoted_by, promote_reason, promoted_at FROM model_versions
               WHERE promoted_at IS NOT NULL ORDER BY promoted_at""",
        ),
    ),
    (
        12,
        "splits annotated blind: each annotator sees their own entity labels only, so that agreement compares "
        "labels made apart",
        (
            """CREATE TABLE blind_splits (
                dataset TEXT NOT NULL,
                split TEXT NOT NULL,
                set_by TEXT,
                set_at TEXT NOT NULL,
                PRIMARY KEY (dataset, split)
            )""",
        ),
    ),
    (
        13,
        "each time a split was annotated blind is kept, ended or not: opened again and made blind once more, the "
        "labels its annotators made apart before were no longer counted as made apart",
        (
            """CREATE TABLE blind_periods (
                dataset TEXT NOT NULL,
                split TEXT NOT NULL,
                set_by TEXT,
                set_at TEXT NOT NULL,
                ended_by TEXT,
                ended_at TEXT,                -- NULL while the split is blind
                PRIMARY KEY (dataset, split, set_at)
            )""",
            """INSERT INTO blind_periods (dataset, split, set_by, set_at)
               SELECT dataset, split, set_by, set_at FROM blind_splits""",
            "DROP TABLE blind_splits",
        ),
    ),
]

LATEST = MIGRATIONS[-1][0]
