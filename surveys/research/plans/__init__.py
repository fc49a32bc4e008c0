"""Pre-registered analysis plans: freeze (analysts, admins), view read-only and export (every role)."""
