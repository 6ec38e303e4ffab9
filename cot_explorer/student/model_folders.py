"""Model version folders that are never lost: names are reserved before training and never
overwritten; a folder is written under a temporary name and renamed into place; replacing
one (benchmarks re-running a run id) can be killed at any instant and the previous version
still loads, because `recover()` at start puts it back.

Names under the models root, by who owns them (pid = the process that made them):
  <name>/                       a finished version
  .tmp-<name>-<pid>-<rand>/     being written
  .old-<name>-<pid>-<rand>/<name>/  the version being replaced, until the new one is in place
  .reserved-<name>              a name taken by a training that has not saved yet (holds the pid)
"""

from __future__ import annotations

import errno
import os
import re
import secrets
import shutil
from pathlib import Path

from ..errors import CotExplorerError
from ..limits import DISK_FULL_ERRNOS, DiskFull, check_name, disk_full_message

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
_OWNED = re.compile(r"^\.(tmp|old)-(?P<name>.+)-(?P<pid>\d+)-[0-9a-f]{6}$")


class NameTaken(CotExplorerError):
    """A model version of that name exists (or is being trained): versions are never overwritten."""


def check_version_name(name: object) -> str:
    name = check_name(name, "the model version name")
    if not _NAME.match(name):
        raise CotExplorerError(f"model version name {name!r}: use letters, digits, '.', '_' and '-' "
                               "(at most 100, starting with a letter or digit)")
    return name


def process_alive(pid: int) -> bool:
    """Whether process `pid` of this machine still runs (this one does)."""
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def reserve(root: Path, name: str) -> Path:
    """Take `name` for a training that will save into `root`; `NameTaken` if it is in use."""
    name = check_version_name(name)
    root.mkdir(parents=True, exist_ok=True)
    if (root / name).exists():
        raise NameTaken(f"a model version named {name!r} exists; choose another name (versions are never overwritten)")
    marker = root / f".reserved-{name}"
    try:
        fd = os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
    except FileExistsError:
        pid = _marker_pid(marker)
        if pid is not None and not process_alive(pid):  # left by a process that died: take it over
            marker.unlink(missing_ok=True)
            return reserve(root, name)
        raise NameTaken(f"the model version name {name!r} is taken by a training that is still running") from None
    with os.fdopen(fd, "w") as f:
        f.write(str(os.getpid()))
    if (root / name).exists():  # saved by someone between our two checks
        marker.unlink(missing_ok=True)
        raise NameTaken(f"a model version named {name!r} exists; choose another name")
    return marker


def release(root: Path, name: str) -> None:
    (root / f".reserved-{name}").unlink(missing_ok=True)


def _marker_pid(marker: Path) -> int | None:
    try:
        return int(marker.read_text().strip() or "0") or None
    except (OSError, ValueError):
        return None


def new_temp_folder(root: Path, name: str) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    tmp = root / f".tmp-{name}-{os.getpid()}-{secrets.token_hex(3)}"
    tmp.mkdir()
    return tmp


def publish(tmp: Path, root: Path, name: str, replace: bool = False) -> Path:
    """Rename the written folder `tmp` to `root/name`. Without `replace`, an existing version
    is never touched (`NameTaken`). With it, the old folder is moved aside first and deleted
    only once the new one is in place; a kill between the two renames is undone by `recover`."""
    final = root / name
    if final.exists() and not replace:
        shutil.rmtree(tmp, ignore_errors=True)
        raise NameTaken(f"a model version named {name!r} exists; choose another name (versions are never overwritten)")
    old = None
    if final.exists():
        old = root / f".old-{name}-{os.getpid()}-{secrets.token_hex(3)}"
        old.mkdir()
        os.rename(final, old / name)
    try:
        os.rename(tmp, final)
    except OSError as e:
        if old is not None:
            os.rename(old / name, final)
            shutil.rmtree(old, ignore_errors=True)
        shutil.rmtree(tmp, ignore_errors=True)
        if e.errno in (errno.EEXIST, errno.ENOTEMPTY):
            raise NameTaken(f"a model version named {name!r} appeared meanwhile; nothing was overwritten") from e
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
    release(root, name)
    return final


def cleanup_failed_write(tmp: Path, error: BaseException, what: str) -> None:
    """Remove a half-written folder; a full disk becomes `DiskFull`, a sentence."""
    shutil.rmtree(tmp, ignore_errors=True)
    if isinstance(error, OSError) and error.errno in DISK_FULL_ERRNOS:
        raise DiskFull(disk_full_message(what)) from error


def recover(root: Path) -> list[str]:
    """At start: put back a version whose replacement was interrupted, delete temporary and
    replaced folders and reservations of processes that no longer run. Returns what it did."""
    done: list[str] = []
    if not root.is_dir():
        return done
    for entry in sorted(root.iterdir()):
        m = _OWNED.match(entry.name)
        if m and entry.is_dir() and not process_alive(int(m["pid"])):
            name = m["name"]
            if entry.name.startswith(".old-") and (entry / name).is_dir() and not (root / name).exists():
                os.rename(entry / name, root / name)
                done.append(f"restored {name} (its replacement was interrupted)")
            shutil.rmtree(entry, ignore_errors=True)
            done.append(f"removed {entry.name}")
        elif entry.name.startswith(".reserved-") and entry.is_file():
            pid = _marker_pid(entry)
            if pid is None or not process_alive(pid):
                entry.unlink(missing_ok=True)
                done.append(f"released {entry.name}")
    return done
