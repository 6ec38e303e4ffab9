"""What every benchmark script shares: where results go and how a result file records the
command, the machine and the date. Imported as `from _common import ...`: a script's own
folder is on `sys.path` when it runs, so no path patching is needed."""

from __future__ import annotations

import json
import os
import platform
import sys
from datetime import datetime, timezone
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"


def machine() -> dict:
    """The machine a figure was measured on (torch is read only if it is already imported)."""
    info = {"cpus": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version(),
            "processor": platform.processor() or platform.machine()}
    torch = sys.modules.get("torch")
    if torch is not None:
        info["torch"] = torch.__version__
        info["gpu"] = torch.cuda.get_device_name(0) if torch.cuda.is_available() else None
    return info


def command() -> str:
    return "python " + " ".join([Path(sys.argv[0]).as_posix().split("/main/", 1)[-1], *sys.argv[1:]])


def write_result(name: str | Path, payload: dict, table: str | None = None) -> Path:
    """Write `results/<name>.json` (or a path) with command, machine and date, and print the table."""
    path = Path(name) if isinstance(name, Path) else RESULTS / f"{name}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    record = {"command": command(), "machine": machine(),
              "date": datetime.now(timezone.utc).isoformat(timespec="seconds"), **payload}
    path.write_text(json.dumps(record, indent=2, ensure_ascii=False) + "\n")
    if table:
        print(table)
    print(f"wrote {path}")
    return path
