"""Researcher area under ``/research/``: login, dashboards, study management, exports.

Each routes module registers its views on ``bp``; add yours to the import line.
Access control for every view comes from ``surveys.research.access``.
"""
from flask import Blueprint

bp = Blueprint("research", __name__)

from . import (  # noqa: E402,F401  (register on bp)
    admin_routes,
    auth_routes,
    auth_token_routes,
    dashboard_routes,
    export_reports,
    export_routes,
    manage_routes,
)
