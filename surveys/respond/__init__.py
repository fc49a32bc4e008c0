"""Respondent-facing pages: the anonymous survey at ``/s/<slug>``."""
from flask import Blueprint

bp = Blueprint("respond", __name__)

from . import routes  # noqa: E402,F401  (routes register themselves on bp)
