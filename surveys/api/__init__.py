"""JSON API under ``/api/v1/``: surveys, aggregates, estimates and exports for researchers
(bearer tokens, checked by ``surveys.accounts.access``), and its OpenAPI description."""
from . import openapi, parameters, routes
from .blueprint import bp

__all__ = ["bp", "openapi", "parameters", "routes"]
