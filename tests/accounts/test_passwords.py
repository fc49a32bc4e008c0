"""Password hashing (argon2id parameters, rehash on login) and the password policy."""
from __future__ import annotations

import re

import pytest
from argon2 import PasswordHasher
from argon2.profiles import RFC_9106_LOW_MEMORY

from surveys.accounts.passwords import (
    COMMON_PASSWORDS_FILE,
    MAX_LENGTH,
    MIN_LENGTH,
    common_passwords,
    password_problem,
    read_password_list,
)
from surveys.extensions import db
from surveys.models import Researcher
from tests.accounts.helpers import add_researcher
from tests.factories import login_as

HASH_PATTERN = re.compile(r"^\$argon2id\$v=(\d+)\$m=(\d+),t=(\d+),p=(\d+)\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+$")


def _parameters(encoded: str) -> dict[str, int]:
    match = HASH_PATTERN.match(encoded)
    assert match, f"not an argon2id hash: {encoded[:30]}..."
    version, memory, time_cost, parallelism = map(int, match.groups())
    return {"version": version, "memory": memory, "time": time_cost, "parallelism": parallelism}


def test_stored_hash_is_argon2id_with_at_least_the_library_defaults(app):
    account = add_researcher(app)
    with app.app_context():
        stored = db.session.get(Researcher, account.id).password_hash
    params = _parameters(stored)
    assert params["version"] == 19  # argon2 1.3
    assert params["memory"] >= RFC_9106_LOW_MEMORY.memory_cost == 65536
    assert params["time"] >= RFC_9106_LOW_MEMORY.time_cost == 3
    assert params["parallelism"] >= 1
    assert "correct horse" not in stored


def test_login_rehashes_a_hash_made_with_weaker_parameters(app, client):
    account = add_researcher(app)
    weak = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1)
    with app.app_context():
        row = db.session.get(Researcher, account.id)
        row.password_hash = weak.hash("correct horse battery staple 42")
        db.session.commit()
    assert _parameters(weak.hash("x"))["memory"] == 8192
    login_as(client, account)
    with app.app_context():
        upgraded = db.session.get(Researcher, account.id).password_hash
    assert _parameters(upgraded)["memory"] >= 65536
    assert PasswordHasher().verify(upgraded, "correct horse battery staple 42")


@pytest.mark.parametrize("password, ok", [
    ("a" * (MIN_LENGTH - 1), False),
    ("abcdefghijkm", True),  # 12 lower-case letters: no composition rules
    ("x" * MAX_LENGTH, True),
    ("x" * (MAX_LENGTH + 1), False),
    ("tres palabras sin números", True),  # any characters, spaces included
    ("password1234", False),
    ("PassWord1234", False),  # the list is compared case-insensitively
    ("qwertyuiop123", False),
    ("123456789012", False),
])
def test_password_policy(password, ok):
    assert (password_problem(password) is None) is ok, password_problem(password)


def test_policy_maximum_is_at_least_64():
    assert MAX_LENGTH >= 64 and MIN_LENGTH == 12


def test_common_password_list_is_the_real_one():
    header = COMMON_PASSWORDS_FILE.read_text(encoding="utf-8").split("\n\n")[0]
    assert "Django" in header and "zxcvbn" in header
    entries = common_passwords()
    assert len(entries) >= 400
    assert all(entry == entry.lower() for entry in entries)


def test_common_password_check_is_general(tmp_path):
    """Entries of any length are read and honoured, whatever list is shipped."""
    custom = tmp_path / "list.txt"
    custom.write_text("# header\nshort\nThis is on the list\n", encoding="utf-8")
    listed = read_password_list(custom)
    assert listed == frozenset({"short", "this is on the list"})
    assert password_problem("THIS IS ON THE LIST", common=listed) is not None
    assert password_problem("this is not on it", common=listed) is None


def test_new_researcher_form_refuses_common_password(app, client):
    from tests.factories import post_form

    admin = add_researcher(app, role="admin")
    login_as(client, admin)
    response = post_form(client, "/research/admin/researchers/new",
                         {"email": "new@example.org", "role": "viewer", "password": "password1234"})
    assert response.status_code == 400
    assert "commonly used" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.query(Researcher).filter_by(email="new@example.org").count() == 0
