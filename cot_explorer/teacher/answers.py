"""The JSON the teacher must answer with: schemas sent as structured output, and a strict,
pure check of what came back. Anything that fails is an error, never labels."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Sequence

from ..labels import MRE_RELATIONS
from ..schema import TeacherEntity


class AnswerInvalid(ValueError):
    """The model's answer is not JSON of the expected shape."""


def _obj(props: dict, required: Sequence[str] | None = None) -> dict:
    return {"type": "object", "properties": props, "required": list(required or props), "additionalProperties": False}


STR = {"type": "string"}


def cot_schema(task: str, grains: Sequence[str], entity_types: Sequence[str]) -> dict:
    props = {g: STR for g in grains}
    if task == "mner":
        props["entities"] = {"type": "array", "items": _obj(
            {"text": STR, "type": {"type": "string", "enum": list(entity_types)}, "rationale": STR})}
    else:
        props["relation"] = _obj({"label": {"type": "string", "enum": list(MRE_RELATIONS)}, "rationale": STR})
    return _obj(props)


AUGMENT_SCHEMAS = {
    "style": _obj({"rewrites": {"type": "array", "items": _obj({"text": STR})}}),
    "entity": _obj({"versions": {"type": "array", "items": _obj({
        "text": STR, "plausible": {"type": "boolean"},
        "replacements": {"type": "array", "items": _obj({"original": STR, "replacement": STR})}})}}),
    "image": _obj({"descriptions": {"type": "array", "items": STR}}),
}


def check(value, schema: dict, path: str = "$") -> None:
    """Validate the subset of JSON Schema used above (object, array, string, boolean, enum)."""
    t = schema.get("type")
    if t == "object":
        if not isinstance(value, dict):
            raise AnswerInvalid(f"{path}: expected an object")
        missing = [k for k in schema.get("required", []) if k not in value]
        if missing:
            raise AnswerInvalid(f"{path}: missing {missing}")
        extra = [k for k in value if k not in schema["properties"]]
        if extra and schema.get("additionalProperties") is False:
            raise AnswerInvalid(f"{path}: unexpected {extra}")
        for k, sub in schema["properties"].items():
            if k in value:
                check(value[k], sub, f"{path}.{k}")
    elif t == "array":
        if not isinstance(value, list):
            raise AnswerInvalid(f"{path}: expected an array")
        for i, item in enumerate(value):
            check(item, schema["items"], f"{path}[{i}]")
    elif t == "string":
        if not isinstance(value, str):
            raise AnswerInvalid(f"{path}: expected a string")
    elif t == "boolean":
        if not isinstance(value, bool):
            raise AnswerInvalid(f"{path}: expected true or false")
    if "enum" in schema and value not in schema["enum"]:
        raise AnswerInvalid(f"{path}: {value!r} is not one of {schema['enum']}")


def parse_json(text: str, schema: dict) -> dict:
    try:
        value = json.loads(text)
    except (json.JSONDecodeError, TypeError) as e:
        raise AnswerInvalid(f"not JSON: {e}") from e
    check(value, schema)
    return value


@dataclass(frozen=True)
class CotAnswer:
    grains: tuple[tuple[str, str], ...]          # (grain, text) in the order asked
    entities: tuple[TeacherEntity, ...] = ()
    relation: str | None = None
    relation_rationale: str = ""


def parse_cot(text: str, task: str, grains: Sequence[str], entity_types: Sequence[str]) -> CotAnswer:
    value = parse_json(text, cot_schema(task, grains, entity_types))
    if task == "mner":
        ents = tuple(TeacherEntity(e["text"], e["type"], e["rationale"]) for e in value["entities"])
        return CotAnswer(tuple((g, value[g]) for g in grains), ents)
    rel = value["relation"]
    return CotAnswer(tuple((g, value[g]) for g in grains), (), rel["label"], rel["rationale"])
