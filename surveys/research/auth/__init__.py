"""Login, logout, the researcher home page, one's own password and API tokens."""
