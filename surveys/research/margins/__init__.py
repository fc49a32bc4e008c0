"""Population margins for raking weights: upload (analysts, admins) and view per survey."""
