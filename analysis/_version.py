"""The analysis package's version, printed in every report's package list."""

__version__ = "0.1.0"
