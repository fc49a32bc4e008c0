"""Flask extensions, created unbound and bound to an app in ``create_app``.

Keeping them here (not in the factory) lets blueprints and services import
``db`` or ``limiter`` without importing the app, and lets tests build many apps.
"""
from __future__ import annotations

import hashlib
import hmac
from datetime import date

from flask import current_app, request
from flask_babel import Babel
from flask_limiter import Limiter
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

# Explicit constraint names keep Alembic migrations identical on SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def anonymous_client_key() -> str:
    """Rate-limit key for a client that never stores its address.

    The limiter needs *some* per-client key, but respondent safety forbids
    keeping IP addresses. We key on an HMAC of the address with the app's secret
    and today's date: counters still work within a window, the stored key cannot
    be reversed to an address without the secret, and it changes every day.
    """
    address = request.remote_addr or "unknown"
    secret = str(current_app.config.get("SECRET_KEY") or "").encode()
    message = f"{date.today().isoformat()}|{address}".encode()
    return hmac.new(secret, message, hashlib.sha256).hexdigest()[:32]


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
csrf = CSRFProtect()
login_manager = LoginManager()
babel = Babel()
limiter = Limiter(key_func=anonymous_client_key, default_limits=[])
