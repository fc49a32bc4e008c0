"""API routes. The researcher-side issue adds aggregates and exports."""
from __future__ import annotations

from flask import jsonify

from . import bp

API_VERSION = "1"


@bp.get("/")
def root():  # noqa: ANN201
    return jsonify(name="Civic Trust Survey API", version=API_VERSION)
