"""Starts the CoT Explorer web app on the store in $COT_EXPLORER_HOME (or the user data dir).
On an empty store it imports the bundled demo set, so it works offline with no API key."""

import os

from cot_explorer.jobs import fail_stale_jobs
from cot_explorer.paths import resolve_home
from cot_explorer.ui.app import build_app, launch_kwargs
from cot_explorer.ui.handlers import ensure_demo, student

if __name__ == "__main__":
    home = resolve_home()
    ensure_demo(home)
    fail_stale_jobs(home)
    student(home)  # load the default student now, not on the first visitor's click
    build_app(home).launch(server_name=os.environ.get("GRADIO_SERVER_NAME", "127.0.0.1"), **launch_kwargs())
