"""Starts the CoT Explorer web app on the store in $COT_EXPLORER_HOME (or the user data dir)."""

import os

from cot_explorer.paths import resolve_home
from cot_explorer.store import open_store
from cot_explorer.ui.app import build_app

if __name__ == "__main__":
    home = resolve_home()
    open_store(home).close()  # create and migrate before the first request
    build_app(home).launch(server_name=os.environ.get("GRADIO_SERVER_NAME", "127.0.0.1"))
