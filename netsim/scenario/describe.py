"""Pydantic validation errors as one line for people: the key as a dotted path
(`traffic[2].rate_mbps`) and what was wrong or which keys are allowed."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from netsim.errors import unknown_key
from netsim.scenario.model import Scenario

def dotted(loc: tuple) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def first_error(errors: list[dict]) -> dict:
    """The error to report: an unknown key before the rest, since a misspelled required
    key also makes the right one 'missing' (duraton_s -> did you mean duration_s?)."""
    return next((e for e in errors if e["type"] == "extra_forbidden"), errors[0])


def describe(error: dict, raw: dict) -> str:
    kind = error["type"]
    if kind == "missing":
        return "required key is missing"
    if kind == "extra_forbidden":
        return unknown_key(error["loc"][-1], allowed_keys(error["loc"][:-1]))
    message = error["msg"][0].lower() + error["msg"][1:]
    message = message.removeprefix("value error, ")
    return f"{message} (got {shown(error['input'])})"


def shown(value: Any, limit: int = 60) -> str:
    """repr of a value for an error line, cut to `limit` characters."""
    import reprlib

    short = reprlib.Repr()
    short.maxlevel, short.maxlist, short.maxdict, short.maxstring, short.maxother = 3, 6, 6, limit, limit
    text = short.repr(value) if isinstance(value, (list, dict, tuple, set)) else repr(value)
    return text if len(text) <= limit else text[:limit - 3] + "..."


def allowed_keys(loc: tuple) -> list[str]:
    """Field names of the section at loc, found by walking the models."""
    model: Any = Scenario
    for part in loc:
        if isinstance(part, int):
            continue
        annotation = model.model_fields[part].annotation
        model = section_type(annotation)
    return list(model.model_fields)


def section_type(annotation: Any) -> Any:
    args = getattr(annotation, "__args__", None)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in args or ():
        found = section_type(arg)
        if found is not None:
            return found
    return None
