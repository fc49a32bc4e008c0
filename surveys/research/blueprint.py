"""The researcher blueprint (``/research/``), shared by its area packages' routes."""
from flask import Blueprint

bp = Blueprint("research", "surveys.research")
