"""Validate the parsed document against ``instrument.schema.json``, with readable messages."""

from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

from .errors import Problem
from .locate import Locator

SCHEMA_PATH = Path(__file__).with_name("instrument.schema.json")

_TYPE_NAMES = {
    "string": "text",
    "integer": "a whole number",
    "number": "a number",
    "boolean": "true or false",
    "object": "a mapping (key: value lines)",
    "array": "a list",
}


@lru_cache(maxsize=1)
def _validator() -> Draft202012Validator:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def _pattern_hint(pattern: str) -> str:
    defs = _validator().schema["$defs"]
    if pattern == defs["id"]["pattern"]:
        return "is not a valid id: use 1-32 lowercase letters, digits or _, starting with a letter"
    if pattern == defs["language_code"]["pattern"]:
        return "is not a valid language code (e.g. en, es, pt-BR)"
    if pattern == _validator().schema["properties"]["id"]["pattern"]:
        return "is not a valid instrument id: use lowercase letters, digits and -, starting with a letter"
    return f"does not match the pattern {pattern}"


def _describe(value: object) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return f"true/false value {str(value).lower()}"
    if isinstance(value, (dict, list)):
        return "a mapping" if isinstance(value, dict) else "a list"
    text = repr(value)
    return f"{type(value).__name__} {text if len(text) <= 40 else text[:37] + '...'}"


def schema_problems(data: object, where: Locator) -> list[Problem]:
    problems: list[Problem] = []
    for error in _validator().iter_errors(data):
        problems.extend(_explain(error, where))
    return problems


def _explain(error: ValidationError, where: Locator) -> list[Problem]:
    path = tuple(error.absolute_path)
    kind, value, instance = error.validator, error.validator_value, error.instance
    if "propertyNames" in error.relative_schema_path:
        return [
            where.problem(path + (str(instance),), f"'{instance}' {_pattern_hint(error.schema.get('pattern', ''))}")
        ]
    if kind == "additionalProperties" and value is False and isinstance(instance, dict):
        allowed = sorted(error.schema.get("properties", {}))
        return [
            where.problem(path + (key,), f"unknown key '{key}' (allowed here: {', '.join(allowed)})")
            for key in instance
            if key not in allowed
        ]
    if kind == "anyOf":  # "options": the name of an option set or a list of options
        branch = 1 if isinstance(instance, list) else 0
        inner = [e for e in error.context if e.relative_schema_path[0] == branch]
        if isinstance(instance, (str, list)) and inner:
            return [p for e in inner for p in _explain(e, where)]
        return [
            where.problem(path, f"must be the name of an option set or a list of options (got {_describe(instance)})")
        ]
    return [where.problem(path, _message(error, kind, value, instance))]


def _message(error: ValidationError, kind: str, value: Any, instance: object) -> str:
    if kind == "required":
        missing = re.match(r"^'(.*)' is a required property$", error.message)
        key = missing.group(1) if missing else error.message
        needed = ""
        if "then" in error.relative_schema_path and isinstance(instance, dict):
            needed = f" (needed by a {instance.get('type')} item)"
        return f"missing required key '{key}'{needed}"
    if kind == "type":
        expected = " or ".join(_TYPE_NAMES.get(t, t) for t in ([value] if isinstance(value, str) else value))
        hint = "; put it in quotes" if value == "string" and isinstance(instance, (int, float, bool)) else ""
        return f"must be {expected} (got {_describe(instance)}){hint}"
    if kind in ("enum", "const"):
        choices = value if kind == "enum" else [value]
        return f"must be one of: {', '.join(map(str, choices))} (got {_describe(instance)})"
    if kind == "pattern":
        return f"'{instance}' {_pattern_hint(value)}"
    if kind in ("minLength", "minProperties"):
        return "must not be empty"
    if kind == "minItems":
        return f"must have at least {value} entr{'y' if value == 1 else 'ies'}"
    if kind == "maxLength":
        return f"must be at most {value} characters long"
    if kind == "minimum":
        return f"must be at least {value} (got {instance})"
    if kind == "maximum":
        return f"must be at most {value} (got {instance})"
    return error.message
