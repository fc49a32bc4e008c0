"""Admin pages: the organisation's researchers, its API tokens and the audit log."""
