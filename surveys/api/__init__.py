"""JSON API under ``/api/v1/``: aggregates and exports for researchers (token-authenticated)."""
from flask import Blueprint

bp = Blueprint("api", __name__)

from . import data_routes, openapi_routes, routes  # noqa: E402,F401  (routes register themselves on bp)
