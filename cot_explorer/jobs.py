"""Background jobs for the app: a thread per job, status and progress in the store, so a
page reload (or another browser) sees the same job; cancel is a flag the job polls."""

from __future__ import annotations

import threading
import time
import traceback
from pathlib import Path

from .errors import CotExplorerError
from .store import open_store
from .store.jobs import JobRunning, create_job_alone, fail_running, get_job, update_job
from .student.registry import Registry

# the job row's progress is in thousandths of the whole round, whatever phase it is in
WHOLE = 1000


class JobCallback:
    """Writes progress to the job row (at most every 0.3 s) and reads the cancel flag. A
    training step is placed within the training phase's share of the round (the bar read
    100 % at the end of training, with the scoring still to come)."""

    def __init__(self, home: Path, job_id: int):
        self.home, self.job_id = home, job_id
        self._last = 0.0
        self._span = (0.0, 1.0)

    def on_phase(self, words: str, start: float, end: float) -> None:
        self._span = (start, end)
        with open_store(self.home) as s:
            update_job(s, self.job_id, step=round(WHOLE * start), total=WHOLE, message=words)

    def on_step(self, step: int, total: int, loss: float) -> None:
        start, end = self._span
        self.on_progress(start + (end - start) * step / max(1, total), f"training: step {step}/{total}, loss {loss:.3f}",
                         last=step == total)

    def on_progress(self, at: float, words: str, last: bool = False) -> None:
        """`at`: the part of the whole round done (a scoring phase's posts as they are scored)."""
        now = time.monotonic()
        if now - self._last > 0.3 or last:
            self._last = now
            with open_store(self.home) as s:
                update_job(s, self.job_id, step=round(WHOLE * at), total=WHOLE, message=words)

    def on_eval(self, epoch: int, metrics: dict) -> None:
        with open_store(self.home) as s:
            update_job(s, self.job_id, message=f"epoch {epoch}: selection F1 {metrics['f1']:.2f} (chooses the epoch)")

    def should_cancel(self) -> bool:
        with open_store(self.home) as s:
            job = get_job(s, self.job_id)
        return bool(job and job.cancel_requested)


class RoundAlreadyRunning(CotExplorerError):
    pass


def start_distill_job(home: Path, params: dict) -> int:
    """Start a round in a thread, unless one runs on the same dataset (refused with a sentence)."""
    with open_store(home) as s:
        try:
            job_id = create_job_alone(s, "distill", params, params["dataset"])
        except JobRunning as e:
            raise RoundAlreadyRunning(
                f"a round on {params['dataset']} is already running (job {e.job.id}, version "
                f"{e.job.params.get('name')}); wait for it to finish or cancel it") from None
    threading.Thread(target=_run_distill, args=(home, job_id, params), daemon=True, name=f"job-{job_id}").start()
    return job_id


def _run_distill(home: Path, job_id: int, params: dict) -> None:
    from .student.incremental import RoundCancelled, release_memory, run_round  # PyTorch, when a round starts

    try:
        with open_store(home) as s:
            report = run_round(s, params["dataset"], params["name"], variant=params.get("variant", "distill"),
                               epochs=int(params.get("epochs", 2)), replay_ratio=float(params.get("replay_ratio", 1.0)),
                               since=params.get("since") or None, callback=JobCallback(home, job_id))
            job = get_job(s, job_id)
            update_job(s, job_id, status="done", step=job.total, result=report.to_json(),
                       message=f"done: {report.gain_sentence()}")
    except RoundCancelled as e:
        traceback.clear_frames(e.__traceback__)   # the round's frame held its models: let them go
        release_memory()
        with open_store(home) as s:
            update_job(s, job_id, status="cancelled", message=str(e))
    except CotExplorerError as e:  # a refusal found only now: said as a sentence
        with open_store(home) as s:
            update_job(s, job_id, status="failed", error=str(e), message="failed")
    except Exception as e:  # a failed job is shown, not raised into a dead thread
        with open_store(home) as s:
            update_job(s, job_id, status="failed", error=f"the round failed unexpectedly: {e}", message="failed")
    finally:
        with open_store(home) as s:
            Registry(s).release(params["name"])  # a saved version keeps its name; a failed one frees it


def cancel_job(home: Path, job_id: int) -> None:
    with open_store(home) as s:
        update_job(s, job_id, cancel_requested=1)


def fail_stale_jobs(home: Path) -> int:
    """Jobs left 'running' by a server that stopped cannot finish: say so."""
    with open_store(home) as s:
        return fail_running(s, "distill", "the server restarted during the job")
