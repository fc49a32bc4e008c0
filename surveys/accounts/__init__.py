"""Researchers and what they may do: accounts, passwords, API tokens, access control,
sessions, login throttling and the audit trail (written and read).

``service`` changes accounts (each change commits with its audit row), ``access``
is the one place roles are checked, for pages and the API alike.
"""
