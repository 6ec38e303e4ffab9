"""A file box that can show a stored file under the name it was uploaded with.

After an analysis, Explore's image box holds the image as the store keeps it: a file named by
its digest, so that pressing Analyse again finds the same post. `gr.File` names a file by its
path, so the box showed `3f9a…e1.jpg` where the user had picked `harbour.jpg`. This box takes a
`NamedFile` as well as a path; in the page it is `gr.File` itself (a template of it)."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import gradio as gr
from gradio.data_classes import FileData


@dataclass(frozen=True)
class NamedFile:
    path: str   # where the file is
    name: str   # what the box calls it


class NamedFileBox(gr.File):
    is_template = True   # the page draws it with gr.File's own front end

    def postprocess(self, value):
        if isinstance(value, NamedFile):
            return FileData(path=value.path, orig_name=value.name, size=Path(value.path).stat().st_size)
        return super().postprocess(value)
