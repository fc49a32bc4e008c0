"""Researcher area under ``/research/``: login, dashboards, study management, exports."""
from flask import Blueprint

bp = Blueprint("research", __name__)

from . import routes  # noqa: E402,F401  (routes register themselves on bp)
