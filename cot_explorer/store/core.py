"""Opening the store: one SQLite file in WAL mode plus content-addressed image files.

Open one `Store` per thread. Writes go through `write()`, which takes SQLite's write lock
up front (BEGIN IMMEDIATE), so a read-check-write (optimistic concurrency) is atomic.
"""

from __future__ import annotations

import sqlite3
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

import sqlite_utils

from ..errors import CotExplorerError
from ..paths import resolve_home
from .migrations import LATEST, MIGRATIONS

DB_FILE = "cot_explorer.db"
BUSY_TIMEOUT_MS = 30_000


def utc_now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="microseconds")


class Store:
    def __init__(self, home: Path):
        self.home = home
        self.home.mkdir(parents=True, exist_ok=True)
        self.path = home / DB_FILE
        conn = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_MS / 1000, check_same_thread=False)
        self.db = sqlite_utils.Database(conn)
        with self.db.ensure_autocommit_on():
            conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = NORMAL")
            conn.execute("PRAGMA foreign_keys = ON")
        self._migrate()

    @property
    def conn(self) -> sqlite3.Connection:
        return self.db.conn

    @property
    def schema_version(self) -> int:
        return self.conn.execute("PRAGMA user_version").fetchone()[0]

    def _migrate(self) -> None:
        if self.schema_version > LATEST:
            raise CotExplorerError(
                f"{self.path} has schema version {self.schema_version}, newer than this "
                f"CoT Explorer knows ({LATEST}); upgrade the package"
            )
        for number, _desc, statements in MIGRATIONS:
            with self.write():
                # Re-read inside the lock: another process may have migrated meanwhile.
                if self.schema_version >= number:
                    continue
                for sql in statements:
                    self.conn.execute(sql)
                self.conn.execute(f"PRAGMA user_version = {number}")

    @contextmanager
    def write(self) -> Iterator[None]:
        """A write transaction holding SQLite's write lock from its start; nests as savepoints."""
        if self.conn.in_transaction:
            with self.db.atomic():
                yield
            return
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self.db.rollback()
            raise
        else:
            self.conn.execute("COMMIT")

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def open_store(home: str | Path | None = None) -> Store:
    """The store under `home` (or `COT_EXPLORER_HOME`, or the user data dir), migrated."""
    return Store(resolve_home(home))
