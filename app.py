"""Starts the CoT Explorer web app on the store in $COT_EXPLORER_HOME (or the user data dir).
On an empty store it imports the bundled demo set, so it works offline with no API key."""

import os
import sys

from cot_explorer.access import AccessPolicy
from cot_explorer.errors import CotExplorerError
from cot_explorer.jobs import fail_stale_jobs
from cot_explorer.paths import resolve_home
from cot_explorer.predict_budget import PredictBudget
from cot_explorer.store import open_store
from cot_explorer.student.registry import Registry
from cot_explorer.ui.app import build_app, launch_kwargs
from cot_explorer.ui.common import student
from cot_explorer.ui.demo import ensure_demo

USAGE = """usage: python app.py

Starts the CoT Explorer web app; it takes no arguments, only settings from the environment:
  COT_EXPLORER_HOME      the store's folder (default: the user data folder)
  GRADIO_SERVER_PORT     the port (default 7860); GRADIO_SERVER_NAME the address (default 127.0.0.1)
  COT_EXPLORER_USERS     people who sign in, "name:role:password,..." (or COT_EXPLORER_USERS_FILE)
  ANTHROPIC_API_KEY      Claude, the live teacher (without it the recorded reasoning is shown)
The README lists the others. The command line for everything else is `cot-explorer --help`."""

if __name__ == "__main__":
    if len(sys.argv) > 1:   # `--help` started a server on the default store (it read no arguments)
        if sys.argv[1:] in (["-h"], ["--help"]):
            print(USAGE)
            sys.exit(0)
        sys.exit(f"error: app.py takes no arguments (got {' '.join(sys.argv[1:])}); settings come from the "
                 f"environment\n\n{USAGE}")
    home = resolve_home()
    try:
        policy = AccessPolicy.from_env()
        predictions = PredictBudget.from_env()
    except CotExplorerError as e:  # a malformed users file (or setting) stops the start with a sentence
        sys.exit(f"error: {e}")
    for note in policy.startup_notes():
        print(f"note: {note}", flush=True)
    ensure_demo(home)
    fail_stale_jobs(home)
    with open_store(home) as store:
        for line in Registry(store).recover():  # what a killed save left behind: restored or removed
            print(f"models: {line}")
    student(home)  # load the default student now, not on the first visitor's click
    build_app(home, policy, predictions=predictions).launch(server_name=os.environ.get("GRADIO_SERVER_NAME", "127.0.0.1"),
                                   **launch_kwargs(home, policy))
