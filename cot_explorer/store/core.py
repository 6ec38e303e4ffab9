"""Opening the store: one SQLite file in WAL mode plus content-addressed image files.

Open one `Store` per thread. Writes go through `write()`, which takes SQLite's write lock
up front (BEGIN IMMEDIATE), so a read-check-write (optimistic concurrency) is atomic.

Durability: `synchronous = FULL`. In WAL mode NORMAL is safe against a crash of the app but
can lose the last commits on a power loss or an OS crash; a label save the UI has
acknowledged must survive both, so every commit syncs the WAL (it costs about a
millisecond per save here: `python benchmarks/save_durability.py`).
"""

from __future__ import annotations

import sqlite3
import time
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

import sqlite_utils

from ..errors import CotExplorerError
from ..limits import DiskFull, disk_full_message
from ..paths import resolve_home
from .migrations import LATEST, MIGRATIONS

DB_FILE = "cot_explorer.db"
BUSY_TIMEOUT_MS = 5_000   # SQLite's own wait for a lock, per attempt
LOCK_ATTEMPTS = 3         # then the user reads a sentence, not "database is locked"
SYNCHRONOUS = "FULL"


class StoreBusy(CotExplorerError):
    """Another writer held the store for longer than a person should wait."""


def utc_now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="microseconds")


def _is_locked(e: sqlite3.OperationalError) -> bool:
    return "locked" in str(e) or "busy" in str(e)


class Store:
    def __init__(self, home: Path):
        self.home = home
        self.home.mkdir(parents=True, exist_ok=True)
        self.path = home / DB_FILE
        conn = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_MS / 1000, check_same_thread=False)
        self.db = sqlite_utils.Database(conn)
        with self.db.ensure_autocommit_on():
            conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            # Switching to WAL needs a lock; an existing store is WAL already and is not touched.
            if conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                self._retry(lambda: conn.execute("PRAGMA journal_mode = WAL"))
            conn.execute(f"PRAGMA synchronous = {SYNCHRONOUS}")
            conn.execute("PRAGMA foreign_keys = ON")
        self._migrate()

    @property
    def conn(self) -> sqlite3.Connection:
        return self.db.conn

    @property
    def schema_version(self) -> int:
        return self.conn.execute("PRAGMA user_version").fetchone()[0]

    def _migrate(self) -> None:
        """Apply missing migrations. A store that is up to date is only read: opening it
        takes no write lock, so opening never waits on a long import."""
        if self.schema_version > LATEST:
            raise CotExplorerError(
                f"{self.path} has schema version {self.schema_version}, newer than this "
                f"CoT Explorer knows ({LATEST}): a newer version opened it. Restart this app or command if "
                "the package was upgraded since it started; else upgrade the package"
            )
        if self.schema_version == LATEST:
            return
        for number, _desc, statements in MIGRATIONS:
            with self.write():
                # Re-read inside the lock: another process may have migrated meanwhile.
                if self.schema_version >= number:
                    continue
                for step in statements:
                    if callable(step):
                        step(self.conn)
                    else:
                        self.conn.execute(step)
                self.conn.execute(f"PRAGMA user_version = {number}")

    def _retry(self, step):
        """Run a locking statement; a lock still held after the busy timeout is tried again,
        then reported as a sentence."""
        for attempt in range(LOCK_ATTEMPTS):
            try:
                return step()
            except sqlite3.OperationalError as e:
                if not _is_locked(e):
                    raise
                if attempt == LOCK_ATTEMPTS - 1:
                    raise StoreBusy("the store is busy with a long write (an import or a training job); "
                                    "nothing was saved: try again in a moment") from e
                time.sleep(0.05 * (attempt + 1))

    @contextmanager
    def write(self) -> Iterator[None]:
        """A write transaction holding SQLite's write lock from its start; nests as savepoints.
        A lock that stays taken becomes `StoreBusy`, a full disk `DiskFull`: sentences."""
        if self.conn.in_transaction:
            with self.db.atomic():
                yield
            return
        self._retry(lambda: self.conn.execute("BEGIN IMMEDIATE"))
        try:
            yield
            self._retry(lambda: self.conn.execute("COMMIT"))
        except BaseException as e:
            if self.conn.in_transaction:
                self.db.rollback()
            if isinstance(e, sqlite3.OperationalError) and "full" in str(e):
                raise DiskFull(disk_full_message(f"the store {self.path}")) from e
            raise

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def open_store(home: str | Path | None = None) -> Store:
    """The store under `home` (or `COT_EXPLORER_HOME`, or the user data dir), migrated."""
    return Store(resolve_home(home))
