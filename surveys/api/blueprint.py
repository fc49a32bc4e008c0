"""The JSON API blueprint (``/api/v1/``), shared by its route modules."""
from flask import Blueprint

bp = Blueprint("api", "surveys.api")
