"""The SQLite schema, declared once, changed only by appending numbered migrations.

`PRAGMA user_version` holds the number of the last migration applied.
"""

from __future__ import annotations

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
]

LATEST = MIGRATIONS[-1][0]
