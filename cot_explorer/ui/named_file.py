"""A file box that can show a stored file under the name it was uploaded with.

After an analysis, Explore's image box holds the image as the store keeps it: a file named by
its digest, so that pressing Analyse again finds the same post. `gr.File` names a file by its
path, so the box showed `3f9a…e1.jpg` where the user had picked `harbour.jpg`. This box takes a
`NamedFile` as well as a path; in the page it is `gr.File` itself (a template of it)."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import gradio as gr


@dataclass(frozen=True)
class NamedFile:
    """A file for the box, with the name to show instead of its own."""

    path: str   # where the file is
    name: str   # what the box calls it


class NamedFileBox(gr.File):
    is_template = True   # the page draws it with gr.File's own front end

    def postprocess(self, value):
        """gr.File's own answer, renamed. A stored file gone in the meantime (another tab
        deleted the upload) empties the box instead of failing the whole event."""
        if isinstance(value, NamedFile):
            if not Path(value.path).is_file():
                return None
            return super().postprocess(value.path).model_copy(update={"orig_name": value.name})
        return super().postprocess(value)
