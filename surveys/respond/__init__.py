"""Respondent-facing pages: the anonymous survey at ``/s/<slug>``.

``start`` (the start page) and ``routes`` (the questionnaire pages, thank-you page), both
moving through ``moves`` and ``carry`` (Post/Redirect/Get with a sealed state cookie), and
``errors`` (the respondent's own error pages) register on the blueprint of ``blueprint``;
pages, forms, fields, state and throttle are theirs alone.
"""
from . import routes, start
from .blueprint import bp

__all__ = ["bp", "routes", "start"]
