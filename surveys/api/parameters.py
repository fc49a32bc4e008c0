"""Unknown query parameters are refused, with the names the endpoint takes.

The OpenAPI description (``docs/openapi.yaml``) is the one list of what each
endpoint accepts; a misspelt filter (``wave_form=3``) silently ignored would
hand a client the whole table while it believes it asked for part of it, so
it is a 400 that names the parameter instead.
"""
from __future__ import annotations

import re
from functools import lru_cache

from flask import abort, request

from .blueprint import bp
from .openapi import openapi_document


def _resolve(spec: dict, node: dict) -> dict:
    ref = node.get("$ref")
    if not ref:
        return node
    target: dict = spec
    for part in ref.lstrip("#/").split("/"):
        target = target[part]
    return target


@lru_cache(maxsize=1)
def query_parameters_by_path() -> dict[str, frozenset[str]]:
    """OpenAPI path (``/surveys/{slug}/aggregates``) -> the query parameter names its GET takes."""
    spec = openapi_document()
    allowed: dict[str, frozenset[str]] = {}
    for path, item in spec["paths"].items():
        declared = list(item.get("parameters", [])) + list(item.get("get", {}).get("parameters", []))
        names = {p["name"] for p in map(lambda node: _resolve(spec, node), declared) if p["in"] == "query"}
        allowed[path] = frozenset(names)
    return allowed


def _openapi_path(rule: str) -> str:
    """``/api/v1/surveys/<slug>/aggregates`` -> ``/surveys/{slug}/aggregates``."""
    path = rule.removeprefix("/api/v1") or "/"
    return re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", path)


@bp.before_request
def refuse_unknown_query_parameters() -> None:
    if request.url_rule is None:
        return
    allowed = query_parameters_by_path().get(_openapi_path(request.url_rule.rule))
    if allowed is None:
        return
    unknown = sorted(set(request.args) - allowed)
    if unknown:
        takes = ", ".join(sorted(allowed)) or "no query parameters"
        abort(400, description=f"Unknown query parameter {unknown[0][:40]!r}; this endpoint takes: {takes}.")
