"""Background jobs: status, progress and results in the store, so they survive restarts."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Callable

from .core import Store, utc_now


@dataclass(frozen=True)
class Job:
    id: int
    kind: str
    status: str
    params: dict
    step: int
    total: int
    message: str
    result: dict | None
    error: str | None
    cancel_requested: bool
    created_at: str = ""


def _job(row: dict) -> Job:
    return Job(row["id"], row["kind"], row["status"], json.loads(row["params"]), row["step"], row["total"],
               row["message"], json.loads(row["result"]) if row["result"] else None, row["error"],
               bool(row["cancel_requested"]), row.get("created_at") or "")


def create_job(store: Store, kind: str, params: dict, status: str = "queued") -> int:
    now = utc_now()
    with store.write():
        return store.db["jobs"].insert({"kind": kind, "status": status, "params": json.dumps(params),
                                        "created_at": now, "updated_at": now}).last_pk


def update_job(store: Store, job_id: int, **fields) -> None:
    if "params" in fields:
        fields["params"] = json.dumps(fields["params"])
    if "result" in fields:
        fields["result"] = json.dumps(fields["result"])
    fields["updated_at"] = utc_now()
    with store.write():
        store.db["jobs"].update(job_id, fields)


def get_job(store: Store, job_id: int) -> Job | None:
    rows = list(store.db.query("SELECT * FROM jobs WHERE id = ?", [job_id]))
    return _job(rows[0]) if rows else None


def unfinished_jobs(store: Store, kind: str) -> list[Job]:
    rows = store.db.query("SELECT * FROM jobs WHERE kind = ? AND status IN ('queued', 'running') ORDER BY id", [kind])
    return [_job(r) for r in rows]


def unfinished_jobs_on(store: Store, dataset: str) -> list[Job]:
    """Jobs of any kind queued or running on `dataset` (a round, a teacher batch)."""
    rows = store.db.query("SELECT * FROM jobs WHERE status IN ('queued', 'running') ORDER BY id")
    return [job for job in map(_job, rows) if job.params.get("dataset") == dataset]


def recent_jobs(store: Store, kind: str, limit: int = 20) -> list[Job]:
    """The latest jobs of a kind, newest first."""
    rows = store.db.query("SELECT * FROM jobs WHERE kind = ? ORDER BY id DESC LIMIT ?", [kind, limit])
    return [_job(r) for r in rows]


def latest_job(store: Store, kind: str, status: str | None = None, dataset: str | None = None) -> Job | None:
    """The newest job of a kind (of that status, on that dataset only, where one is given)."""
    rows = list(store.db.query("SELECT * FROM jobs WHERE kind = ? AND (? IS NULL OR status = ?) AND "
                               "(? IS NULL OR json_extract(params, '$.dataset') = ?) ORDER BY id DESC LIMIT 1",
                               [kind, status, status, dataset, dataset]))
    return _job(rows[0]) if rows else None


def fail_running(store: Store, kind: str, reason: str, still_running: Callable[[Job], bool] | None = None) -> int:
    """Mark the running jobs of `kind` failed (a server that stopped cannot finish them), but
    those `still_running` says another process runs (a round from the command line)."""
    with store.write():
        ids = [job.id for job in (_job(r) for r in store.db.query(
                   "SELECT * FROM jobs WHERE status = 'running' AND kind = ?", [kind]))
               if still_running is None or not still_running(job)]
        for job_id in ids:
            store.conn.execute("UPDATE jobs SET status = 'failed', error = ?, updated_at = ? WHERE id = ?",
                               (reason, utc_now(), job_id))
        return len(ids)


class JobRunning(Exception):
    """Another job of that kind works on that dataset (see `create_job_alone`)."""

    def __init__(self, job: Job):
        self.job = job
        super().__init__(f"job {job.id} is {job.status}")


def create_job_alone(store: Store, kind: str, params: dict, dataset: str) -> int:
    """Create a running job unless one of `kind` is queued or running on `dataset`: the check
    and the insert are one transaction, so two clicks cannot both start one."""
    with store.write():
        for job in unfinished_jobs_on(store, dataset):
            if job.kind == kind:
                raise JobRunning(job)
        return create_job(store, kind, params, status="running")


def round_started(store: Store, version: str) -> str | None:
    """When the finished round that made `version` began (None: no round made it, `train` say):
    the labels it learnt were read after that, so a correction made while it trained is newer
    than what it learnt, though older than the version."""
    row = store.conn.execute("SELECT created_at FROM jobs WHERE kind = 'distill' AND status = 'done' AND "
                             "json_extract(params, '$.name') = ? ORDER BY id DESC LIMIT 1", (version,)).fetchone()
    return row[0] if row else None
