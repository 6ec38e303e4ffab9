"""The live teacher: Claude through the official `anthropic` SDK.

- structured output: a JSON schema per request (`output_config`), checked again on return;
  an answer that fails is retried once, then kept as a visible error, never as labels;
- the post image goes in as a base64 image block (downscaled, size-capped);
- the fixed system prompt and few-shot demonstrations carry a cache breakpoint;
- the SDK retries 429, 500, 529 and timeouts with backoff (honouring retry-after);
- every call records tokens, latency and cost; the API key is read from the environment,
  never stored, logged, or put in an error message.
"""

from __future__ import annotations

import json
import os
import threading
import time
from dataclasses import dataclass, replace
from types import SimpleNamespace
from typing import Sequence

import anthropic

from ..errors import CotExplorerError
from ..schema import AUGMENT_PREFIX, Grain, GrainText, RelationAnswer, TeacherOutput
from ..tokenize import align_entity
from .answers import AUGMENT_SCHEMAS, AnswerInvalid, cot_schema, parse_cot, parse_json
from .base import TeachRequest, Usage
from .images import prepare_image
from .prompts import PromptSet, RenderedPrompt, prompts_dir
from .secrets_scrub import install_log_scrubber, scrub, scrub_output

DEFAULT_MODEL = "claude-sonnet-5-5"  # current mid-size vision model (Anthropic model docs, 2026)
API_KEY_ENV = "ANTHROPIC_API_KEY"


@dataclass(frozen=True)
class Price:
    """US dollars per million tokens."""
    input: float
    output: float
    cache_read: float
    cache_write: float


PRICES = {
    "claude-sonnet-5-5": Price(2.0, 10.0, 0.20, 2.50),
    "claude-sonnet-5": Price(2.0, 10.0, 0.20, 2.50),
    "claude-opus-5-5": Price(4.0, 20.0, 0.40, 5.00),
    "claude-haiku-4-5": Price(1.0, 5.0, 0.10, 1.25),
}
# Models of the 5 family refuse non-default sampling parameters (HTTP 400): send no temperature.
NO_SAMPLING_PARAMS = ("claude-sonnet-5", "claude-opus-5", "claude-fable", "claude-mythos", "claude-haiku-5")


class NoApiKey(CotExplorerError):
    pass


def load_demos(limit: int = 3) -> list[SimpleNamespace]:
    path = prompts_dir() / "demos.json"
    if not path.exists():
        return []
    demos = json.loads(path.read_text(encoding="utf-8"))[:limit]
    return [SimpleNamespace(text=d["text"], reasoning=d["reasoning"],
                            entities=[SimpleNamespace(**e) for e in d["entities"]]) for d in demos]


def cost_of(model: str, usage, batch: bool = False) -> float:
    price = PRICES.get(model)
    if price is None or usage is None:
        return 0.0
    read = getattr(usage, "cache_read_input_tokens", 0) or 0
    write = getattr(usage, "cache_creation_input_tokens", 0) or 0
    dollars = (usage.input_tokens * price.input + usage.output_tokens * price.output
               + read * price.cache_read + write * price.cache_write) / 1e6
    return round(dollars * (0.5 if batch else 1.0), 6)


class AnthropicTeacher:
    name = "anthropic"
    cot_grain = "cot"

    def __init__(self, model: str = DEFAULT_MODEL, *, api_key: str | None = None, base_url: str | None = None,
                 max_retries: int = 4, timeout: float = 60.0, concurrency: int = 4, max_tokens: int = 2048,
                 temperature: float | None = 0.0, prompts: PromptSet | None = None, demos: Sequence | None = None):
        key = api_key if api_key is not None else os.environ.get(API_KEY_ENV)
        if not key:
            raise NoApiKey(f"no {API_KEY_ENV} is set: set it (or a Spaces secret) to use the live teacher; "
                           "the recorded teacher needs no key")
        self._client = anthropic.Anthropic(api_key=key, base_url=base_url, max_retries=max_retries, timeout=timeout)
        install_log_scrubber(key)
        self.model = model
        self.concurrency = concurrency
        self.max_tokens = max_tokens
        self.temperature = None if model.startswith(NO_SAMPLING_PARAMS) else temperature
        self.prompts = prompts or PromptSet()
        self.demos = load_demos() if demos is None else list(demos)
        self.usage = Usage()
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"AnthropicTeacher(model={self.model!r})"

    # -- prompts -------------------------------------------------------------------------

    def _cot_prompt(self, req: TeachRequest) -> RenderedPrompt:
        return self.prompts.cot(task=req.task, post_text=req.post.text, grains=req.grains,
                                entity_types=req.entity_types, caption=req.post.caption,
                                has_image=req.image is not None, demos=self.demos if req.task == "mner" else (),
                                head=req.head, tail=req.tail)

    def cache_version(self, req: TeachRequest, kind: str = "cot") -> str:
        if kind == "cot":
            return self._cot_prompt(req).version
        return self.prompts.augmentation(kind, task=req.task, post_text="", entity_types=req.entity_types).version

    def params(self, prompt: RenderedPrompt, schema: dict, image: bytes | None = None) -> dict:
        system = [{"type": "text", "text": prompt.system}]
        if prompt.demos:
            system.append({"type": "text", "text": prompt.demos})
        system[-1]["cache_control"] = {"type": "ephemeral"}  # caches the fixed prefix: system + demos
        content = []
        if image is not None:
            content.append(prepare_image(image).to_param())
        content.append({"type": "text", "text": prompt.user})
        params = {"model": self.model, "max_tokens": self.max_tokens, "system": system,
                  "messages": [{"role": "user", "content": content}],
                  "output_config": {"format": {"type": "json_schema", "schema": schema}}}
        if self.temperature is not None:
            params["temperature"] = self.temperature
        return params

    # -- calls ---------------------------------------------------------------------------

    def _scrub(self, text: str) -> str:
        return scrub(text, self._client.api_key)

    def _call(self, params: dict) -> tuple[str, object, float]:
        params = dict(params)
        extra = {"temperature": params.pop("temperature")} if "temperature" in params else None
        t0 = time.perf_counter()
        # The SDK no longer types sampling parameters (current models refuse them); older
        # models still take temperature, sent as an extra body field.
        msg = self._client.messages.create(**params, extra_body=extra) if extra else self._client.messages.create(**params)
        latency = time.perf_counter() - t0
        text = "".join(getattr(b, "text", "") for b in msg.content if getattr(b, "type", "") == "text")
        with self._lock:
            u = self.usage
            u.calls += 1
            u.input_tokens += msg.usage.input_tokens
            u.output_tokens += msg.usage.output_tokens
            u.cache_read_tokens += getattr(msg.usage, "cache_read_input_tokens", 0) or 0
            u.cache_write_tokens += getattr(msg.usage, "cache_creation_input_tokens", 0) or 0
            u.cost_usd += cost_of(self.model, msg.usage)
            u.latencies.append(latency)
        return text, msg.usage, latency

    def _run(self, req: TeachRequest, slot: str, version: str, params: dict, parse) -> TeacherOutput:
        """`_ask`, with the key scrubbed from every field of what comes back."""
        return scrub_output(self._ask(req, slot, version, params, parse), self._client.api_key)

    def _ask(self, req: TeachRequest, slot: str, version: str, params: dict, parse) -> TeacherOutput:
        """Call, check the answer, retry once if it does not fit; errors become error outputs.
        `parse(raw)` returns the output's fields (text, entities, grains, relation)."""
        base = dict(post_id=req.post.id, teacher=self.name, model=self.model, template_version=version, slot=slot)
        tokens_in = tokens_out = 0
        cost = latency = 0.0
        raw = ""
        problem = ""
        for _attempt in range(2):
            try:
                raw, usage, lat = self._call(params)
            except anthropic.APIError as e:
                status = getattr(e, "status_code", None)
                return TeacherOutput(**base, text="", raw="", status="error",
                                     error=self._scrub(f"{type(e).__name__}{f' {status}' if status else ''}: {e}")[:500],
                                     input_tokens=tokens_in, output_tokens=tokens_out, cost_usd=cost)
            tokens_in += usage.input_tokens
            tokens_out += usage.output_tokens
            cost += cost_of(self.model, usage)
            latency += lat
            try:
                return TeacherOutput(**base, **parse(raw), raw=raw, input_tokens=tokens_in, output_tokens=tokens_out,
                                     latency_s=round(latency, 3), cost_usd=round(cost, 6))
            except AnswerInvalid as e:
                problem = str(e)
        return TeacherOutput(**base, text="", raw=raw[:20000], status="error",
                             error=f"answer did not fit the schema twice: {problem}"[:500], input_tokens=tokens_in,
                             output_tokens=tokens_out, latency_s=round(latency, 3), cost_usd=round(cost, 6))

    def cot_params(self, req: TeachRequest) -> tuple[dict, str]:
        prompt = self._cot_prompt(req)
        return self.params(prompt, cot_schema(req.task, req.grains, req.entity_types), req.image), prompt.version

    def explain(self, req: TeachRequest) -> TeacherOutput:
        params, version = self.cot_params(req)
        return self._run(req, req.slot(), version, params, lambda raw: self.parse_cot(req, raw))

    def parse_cot(self, req: TeachRequest, raw: str) -> dict:
        """The fields of a chain-of-thought output from a checked answer: the grains (each under
        its heading, which is also how the student reads them), the entities aligned to the
        post's tokens, and for an entity pair the teacher's relation."""
        ans = parse_cot(raw, req.task, req.grains, req.entity_types)
        grains = tuple(GrainText(Grain(g), g.capitalize(), t.strip()) for g, t in ans.grains)
        entities = tuple(replace(e, span=align_entity(req.post, e.text)) for e in ans.entities)
        text = " ".join(f"{g.label}: {g.text}" for g in grains)
        relation = None
        if req.task == "mre":
            relation = RelationAnswer(ans.relation, ans.relation_rationale)
            text += f" Relation: {ans.relation} ({ans.relation_rationale})"
        return {"text": text, "entities": entities, "grains": grains, "relation": relation}

    def output_from_answer(self, req: TeachRequest, raw: str, usage=None, batch: bool = False) -> TeacherOutput:
        """A chain-of-thought output from an answer that came some other way (a Message Batch);
        `AnswerInvalid` if it does not fit."""
        out = TeacherOutput(post_id=req.post.id, teacher=self.name, model=self.model,
                            template_version=self.cache_version(req), slot=req.slot(), **self.parse_cot(req, raw),
                            raw=raw, input_tokens=getattr(usage, "input_tokens", None),
                            output_tokens=getattr(usage, "output_tokens", None),
                            cost_usd=cost_of(self.model, usage, batch=batch) if usage is not None else None)
        return scrub_output(out, self._client.api_key)

    def augment(self, kind: str, req: TeachRequest, entities: Sequence[tuple[str, str]], n: int = 2) -> TeacherOutput:
        prompt = self.prompts.augmentation(kind, task=req.task, post_text=req.post.text, entity_types=req.entity_types,
                                           n=n, entities=[e for e, _ in entities] if kind == "style" else
                                           [{"text": e, "type": t} for e, t in entities], caption=req.post.caption)
        params = self.params(prompt, AUGMENT_SCHEMAS[kind])

        def parse(raw: str) -> dict:
            parse_json(raw, AUGMENT_SCHEMAS[kind])
            return {"text": raw}

        return self._run(req, f"{AUGMENT_PREFIX}{kind}", prompt.version, params, parse)

    # -- Message Batches -------------------------------------------------------------------

    def submit_batch(self, items: Sequence[tuple[str, dict]]) -> str:
        """Submit (custom_id, params) pairs; returns the batch id to poll and import later."""
        batch = self._client.messages.batches.create(
            requests=[{"custom_id": cid, "params": params} for cid, params in items])
        return batch.id

    def batch_status(self, batch_id: str) -> str:
        return self._client.messages.batches.retrieve(batch_id).processing_status

    def batch_results(self, batch_id: str):
        """(custom_id, answer text or None, error text or None, usage) per request."""
        for entry in self._client.messages.batches.results(batch_id):
            res = entry.result
            if res.type == "succeeded":
                msg = res.message
                text = "".join(getattr(b, "text", "") for b in msg.content if getattr(b, "type", "") == "text")
                with self._lock:
                    self.usage.input_tokens += msg.usage.input_tokens
                    self.usage.output_tokens += msg.usage.output_tokens
                    self.usage.cost_usd += cost_of(self.model, msg.usage, batch=True)
                yield entry.custom_id, self._scrub(text), None, msg.usage
            else:
                detail = getattr(getattr(res, "error", None), "error", None)
                yield entry.custom_id, None, self._scrub(f"batch request {res.type}: {getattr(detail, 'message', '')}"), None
