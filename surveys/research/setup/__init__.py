"""First-run setup: the organisation and its first admin, in the browser, once."""
