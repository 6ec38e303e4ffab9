"""Calling a running app's Gradio events over plain HTTP, as any client (or attacker) can:
`POST /gradio_api/queue/join` with an event's index, then read the result from the
server-sent events of `/gradio_api/queue/data`. Used by the access tests and by the
annotators benchmark; `api_visibility="private"` hides an event from the API docs and the
Gradio clients, not from this.
"""

from __future__ import annotations

import json
import secrets
import time
from dataclasses import dataclass
from typing import Any

import httpx


class EventFailed(Exception):
    """The server answered the event with an error; `message` is what the page would show."""

    def __init__(self, message: str):
        self.message = message
        super().__init__(message)


@dataclass
class EventResult:
    data: list
    seconds: float
    notices: list[str]      # what the page showed in a notice (the app's refusals are notices)


class GradioHttp:
    def __init__(self, url: str, timeout: float = 60.0, config: dict | None = None):
        """`config`: the page's configuration as another session read it (a client that is not
        signed in cannot read it, but may know it)."""
        self.url = url.rstrip("/")
        self.http = httpx.Client(timeout=timeout, follow_redirects=True)
        self.session_hash = secrets.token_hex(6)
        self._config = config

    def login(self, username: str, password: str) -> None:
        r = self.http.post(f"{self.url}/login", data={"username": username, "password": password})
        if r.status_code != 200:
            raise EventFailed(f"login refused ({r.status_code}): {r.text[:200]}")

    def upload(self, name: str, data: bytes) -> dict:
        """A file sent as the page sends one (to Gradio's upload folder), as an event's input."""
        r = self.http.post(f"{self.url}/gradio_api/upload", files={"files": (name, data)})
        if r.status_code != 200:
            raise EventFailed(f"upload refused ({r.status_code}): {r.text[:200]}")
        return {"path": r.json()[0], "orig_name": name, "meta": {"_type": "gradio.FileData"}}

    @property
    def config(self) -> dict:
        if self._config is None:
            r = self.http.get(f"{self.url}/config")
            if r.status_code != 200:
                raise EventFailed(f"HTTP {r.status_code}: {r.text[:300]}")
            self._config = r.json()
        return self._config

    def component_id(self, elem_id: str) -> int:
        for c in self.config["components"]:
            if c.get("props", {}).get("elem_id") == elem_id:
                return c["id"]
        raise KeyError(f"no component with elem_id {elem_id!r}")

    def event(self, elem_id: str | None, trigger: str = "click", n_inputs: int | None = None) -> dict:
        """The dependency fired by `trigger` on the component `elem_id` (None: the page, e.g. load).
        With `n_inputs`, the first step of that chain (the dependency itself, then those the
        browser runs after it with `.then`) that takes that many inputs: the page runs a chain
        step by step, and a raw client calls the step it means. Steps without a server function
        (JavaScript only, such as the page load that recalls the annotator's name) are passed by."""
        cid = self.component_id(elem_id) if elem_id is not None else None
        deps = self.config["dependencies"]
        for dep in deps:
            if any(t == trigger and (cid is None or c == cid) for c, t in dep["targets"]):
                steps, seen = [dep], {dep["id"]}   # the chain, breadth first
                for step in steps:
                    # a step the page runs in JavaScript alone has nothing on the server to call
                    if step.get("backend_fn", True) and (n_inputs is None or len(step["inputs"]) == n_inputs):
                        return step
                    for after in deps:
                        if after.get("trigger_after") == step["id"] and after["id"] not in seen:
                            steps.append(after)
                            seen.add(after["id"])
        raise KeyError(f"no {trigger} event on #{elem_id}" + (f" taking {n_inputs} inputs" if n_inputs else ""))

    def call(self, elem_id: str | None, data: list[Any], trigger: str = "click", event_data: Any = None,
             refusal_raises: bool = True) -> EventResult:
        """Fire the event with `data` as its inputs; the outputs, or `EventFailed` when the server
        failed it or (with `refusal_raises`) answered with a notice instead of results."""
        dep = self.event(elem_id, trigger, n_inputs=len(data))
        t0 = time.perf_counter()
        body = {"data": data, "fn_index": dep["id"], "session_hash": self.session_hash, "event_data": event_data,
                "trigger_id": dep["targets"][0][0]}
        r = self.http.post(f"{self.url}/gradio_api/queue/join", json=body)
        if r.status_code != 200:
            raise EventFailed(f"HTTP {r.status_code}: {r.text[:300]}")
        event_id = r.json()["event_id"]
        notices: list[str] = []
        with self.http.stream("GET", f"{self.url}/gradio_api/queue/data",
                              params={"session_hash": self.session_hash}) as stream:
            for line in stream.iter_lines():
                if not line.startswith("data:"):
                    continue
                msg = json.loads(line[5:])
                if msg.get("event_id") not in (None, event_id):
                    continue
                if msg.get("msg") == "log" and msg.get("level") in ("warning", "error"):
                    notices.append(str(msg.get("log")))
                if msg.get("msg") == "process_completed":
                    out = msg.get("output") or {}
                    if not msg.get("success", False) or out.get("error"):
                        raise EventFailed(str(out.get("error") or out.get("title") or "error"))
                    if notices and refusal_raises:
                        raise EventFailed(" / ".join(notices))
                    return EventResult(out.get("data", []), time.perf_counter() - t0, notices)
        raise EventFailed("the event stream ended without a result")

    def close(self) -> None:
        self.http.close()
