"""Researcher password policy, after NIST SP 800-63B.

Length is what matters: at least 12 characters, up to 128, any characters, no
composition rules, and not one of the commonly used passwords shipped in
``data/common-passwords.txt`` (compared case-insensitively).
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

MIN_LENGTH = 12
MAX_LENGTH = 128
COMMON_PASSWORDS_FILE = Path(__file__).with_name("data") / "common-passwords.txt"


class WeakPassword(ValueError):
    """The password breaks the policy; the message says how, in plain words."""


def read_password_list(path: Path) -> frozenset[str]:
    """One password a line, ``#`` starts a comment line; entries of any length, lower-cased."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip().lower() for line in lines if line.strip() and not line.startswith("#"))


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    return read_password_list(COMMON_PASSWORDS_FILE)


def password_problem(password: str, common: frozenset[str] | None = None) -> str | None:
    """Why ``password`` is not acceptable, or None if it is (``common``: the list, default the shipped one)."""
    if len(password) < MIN_LENGTH:
        return f"Passwords must be at least {MIN_LENGTH} characters long."
    if len(password) > MAX_LENGTH:
        return f"Passwords can be at most {MAX_LENGTH} characters long."
    if password.lower() in (common_passwords() if common is None else common):
        return "This password is on a list of commonly used passwords; please choose another."
    return None


def check_password_policy(password: str) -> None:
    problem = password_problem(password)
    if problem:
        raise WeakPassword(problem)
