"""Researcher routes. Placeholder login page until the researcher-side issue lands."""
from __future__ import annotations

from flask import render_template

from . import bp
from .forms import LoginForm


@bp.route("/login", methods=["GET"])
def login():  # noqa: ANN201
    return render_template("research/login.html", form=LoginForm())


@bp.get("/")
def home():  # noqa: ANN201
    return render_template("research/login.html", form=LoginForm())
