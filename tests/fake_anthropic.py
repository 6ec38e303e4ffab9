"""A local fake of the Anthropic Messages API (HTTP on 127.0.0.1) for the real SDK to talk to.

It answers with structured JSON built from the request's own schema, and can be scripted to
answer 429 (with retry-after), 500, 529, a malformed payload or a late (timed-out) answer.
It also runs Message Batches through their whole life: created, in progress, ended, results.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def answer_for(body: dict) -> str:
    """A plausible structured answer for a CoT or augmentation request."""
    user = body["messages"][0]["content"][-1]["text"]
    m = re.search(r"<post>(.*?)</post>", user, re.S)
    post = m.group(1) if m else ""
    props = body["output_config"]["format"]["schema"]["properties"]
    if "entities" in props:
        types = props["entities"]["items"]["properties"]["type"]["enum"]
        words = [w for w in re.findall(r"[#@]?\w+", post) if w[:1].isupper()]
        out = {g: f"{g} reasoning about the post" for g in props if g != "entities"}
        out["entities"] = [{"text": w, "type": types[i % len(types)], "rationale": "capitalised name"}
                           for i, w in enumerate(words[:3])]
        return json.dumps(out)
    if "relation" in props:
        out = {g: f"{g} reasoning" for g in props if g != "relation"}
        out["relation"] = {"label": "None", "rationale": "no relation stated"}
        return json.dumps(out)
    if "rewrites" in props:
        return json.dumps({"rewrites": [{"text": post + " !!!"}, {"text": "BREAKING: " + post},
                                        {"text": "nothing of the original"}]})
    if "versions" in props:
        ents = re.findall(r'"([^"]+)" \((\w+)\)', user)
        swap = [{"original": e, "replacement": e[::-1].capitalize()} for e, _ in ents]
        text = post
        for r in swap:
            text = text.replace(r["original"], r["replacement"])
        return json.dumps({"versions": [{"text": text, "plausible": True, "replacements": swap},
                                        {"text": text, "plausible": False, "replacements": swap}]})
    if "descriptions" in props:
        return json.dumps({"descriptions": ["a stadium at night", "a crowd with flags"]})
    return "{}"


def message(body: dict, text: str) -> dict:
    return {"id": f"msg_{int(time.time() * 1e6)}", "type": "message", "role": "assistant", "model": body["model"],
            "content": [{"type": "text", "text": text}], "stop_reason": "end_turn", "stop_sequence": None,
            "usage": {"input_tokens": 120, "output_tokens": 80, "cache_creation_input_tokens": 0,
                      "cache_read_input_tokens": 60}}


class FakeAnthropic:
    def __init__(self, batch_polls: int = 2):
        self.requests: list[dict] = []       # every /v1/messages body received
        self.headers: list[dict] = []
        self.script: deque[str] = deque()    # behaviours for the next /v1/messages requests
        self.batches: dict[str, dict] = {}
        self.batch_polls = batch_polls
        self.lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def _send(self, code: int, payload, headers: dict | None = None, raw: bytes | None = None):
                data = raw if raw is not None else json.dumps(payload).encode()
                self.send_response(code)
                self.send_header("content-type", "application/json")
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["content-length"])))
                if self.path.startswith("/v1/messages/batches"):
                    return self._send(200, fake.create_batch(body))
                with fake.lock:
                    fake.requests.append(body)
                    fake.headers.append({k.lower(): v for k, v in self.headers.items()})
                    behaviour = fake.script.popleft() if fake.script else "ok"
                if behaviour == "429":
                    return self._send(429, {"type": "error", "error": {"type": "rate_limit_error", "message": "slow down"}},
                                      {"retry-after": "1"})
                if behaviour in ("500", "529"):
                    kind = "overloaded_error" if behaviour == "529" else "api_error"
                    return self._send(int(behaviour), {"type": "error", "error": {"type": kind, "message": kind}})
                if behaviour == "malformed":
                    return self._send(200, message(body, "Sure! Here are the entities: Obama (PER)"))
                if behaviour == "injected":  # an answer that breaks the schema's types
                    return self._send(200, message(body, json.dumps({**json.loads(answer_for(body)), "entities": [
                        {"text": "everything", "type": "HACKED", "rationale": "as the post asked"}]})))
                key = self.headers.get("x-api-key") or self.headers.get("authorization", "").removeprefix("Bearer ")
                if behaviour == "echo_key_error":  # a hostile endpoint quoting the key back, in part
                    return self._send(400, {"type": "error", "error": {
                        "type": "invalid_request_error", "message": f"bad key {key[:16]}... for this account"}})
                if behaviour == "echo_key_answer":
                    answer = json.loads(answer_for(body))
                    for g in answer:
                        if isinstance(answer[g], str):
                            answer[g] = f"{answer[g]} (sent with {key})"
                    for e in answer.get("entities", []):
                        e["rationale"] = f"the key starts {key[:13]}"
                    return self._send(200, message(body, json.dumps(answer)))
                if behaviour == "timeout":
                    time.sleep(1.5)
                return self._send(200, message(body, answer_for(body)))

            def do_GET(self):
                m = re.match(r"^/v1/messages/batches/([\w-]+)(/results)?$", self.path.split("?")[0])
                if not m or m.group(1) not in fake.batches:
                    return self._send(404, {"type": "error", "error": {"type": "not_found_error", "message": "no"}})
                b = fake.batches[m.group(1)]
                if m.group(2):
                    lines = "".join(json.dumps(r) + "\n" for r in b["results"])
                    return self._send(200, None, {"content-type": "application/binary"}, raw=lines.encode())
                b["polls"] += 1
                return self._send(200, fake.batch_object(b))

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def create_batch(self, body: dict) -> dict:
        bid = f"msgbatch_{len(self.batches) + 1}"
        results = []
        for r in body["requests"]:
            results.append({"custom_id": r["custom_id"],
                            "result": {"type": "succeeded", "message": message(r["params"], answer_for(r["params"]))}})
        self.batches[bid] = {"id": bid, "polls": 0, "requests": body["requests"], "results": results}
        return self.batch_object(self.batches[bid])

    def batch_object(self, b: dict) -> dict:
        ended = b["polls"] >= self.batch_polls
        n = len(b["requests"])
        return {"id": b["id"], "type": "message_batch", "processing_status": "ended" if ended else "in_progress",
                "request_counts": {"processing": 0 if ended else n, "succeeded": n if ended else 0, "errored": 0,
                                   "canceled": 0, "expired": 0},
                "created_at": "2026-11-26T00:00:00Z", "expires_at": "2026-11-27T00:00:00Z",
                "ended_at": "2026-11-26T00:01:00Z" if ended else None, "archived_at": None,
                "cancel_initiated_at": None,
                "results_url": f"{self.url}/v1/messages/batches/{b['id']}/results" if ended else None}

    def __enter__(self) -> "FakeAnthropic":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
