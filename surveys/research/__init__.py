"""Researcher area under ``/research/``: one blueprint, one sub-package per area.

``auth`` (login, logout, home, own password and API tokens), ``manage`` (surveys,
jurisdictions, waves, policy events, invite codes), ``dashboard``, ``downloads``
(aggregate tables, row-level data, codebooks, regression reports), ``margins`` (population
margins for raking weights) and ``admin`` (researchers, organisation tokens, audit log);
``editor`` (questionnaires: versions, items, translations, diffs, YAML import and export);
``setup`` (first run: organisation and first
admin, closed once any researcher exists). Each area's ``routes`` registers its
views on ``bp``; access control for every view comes from ``surveys.accounts.access``.
"""
from .admin import routes as admin_routes
from .auth import routes as auth_routes
from .blueprint import bp
from .dashboard import routes as dashboard_routes
from .dashboard import stated_actual as stated_actual_routes
from .downloads import routes as download_routes
from .editor import blocks as editor_block_routes
from .editor import items as editor_item_routes
from .editor import routes as editor_routes
from .editor import scales as editor_scale_routes
from .editor import title as editor_title_routes
from .manage import editing as manage_edit_routes
from .manage import events as manage_event_routes
from .manage import preview as manage_preview_routes
from .manage import routes as manage_routes
from .manage import trust as manage_trust_routes
from .margins import routes as margins_routes
from .plans import routes as plan_routes
from .records import routes as records_routes
from .setup import routes as setup_routes

__all__ = ["admin_routes", "auth_routes", "bp", "dashboard_routes", "download_routes", "editor_block_routes",
           "editor_item_routes",
           "editor_routes",
           "editor_scale_routes", "editor_title_routes",
           "manage_edit_routes", "manage_event_routes", "manage_preview_routes", "manage_routes",
           "manage_trust_routes",
           "margins_routes", "plan_routes", "records_routes", "setup_routes", "stated_actual_routes"]
