"""The API's OpenAPI 3 description (``docs/openapi.yaml``), served as YAML and JSON.

Public, like any API reference: it describes endpoints, never data. The tests
run schemathesis against the live app with exactly this file.
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import yaml
from flask import Response, jsonify

from .blueprint import bp

SPEC_PATH = Path(__file__).resolve().parents[2] / "docs" / "openapi.yaml"


@lru_cache(maxsize=1)
def openapi_document() -> dict:
    return yaml.safe_load(SPEC_PATH.read_text(encoding="utf-8"))


@bp.get("/openapi.yaml")
def openapi_yaml():
    return Response(SPEC_PATH.read_text(encoding="utf-8"), mimetype="application/yaml")


@bp.get("/openapi.json")
def openapi_json():
    return jsonify(openapi_document())
