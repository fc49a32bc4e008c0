"""Named exceptions of the analysis package.

Every exception is an :class:`AnalysisError` (itself a ``ValueError``), so a
caller can catch the family at once; the command line turns each into a
one-line message and exit code 2.  Messages say what to change.
"""

from __future__ import annotations

__all__ = [
    "AnalysisError",
    "ConstantTreatment",
    "ConvergenceError",
    "DuplicateUpload",
    "InvalidSpecification",
    "NoComparisonGroup",
    "NonNumericOutcome",
    "NotEnoughResponses",
    "TooFewClusters",
    "UnknownColumn",
]


class AnalysisError(ValueError):
    """Base class: the data or the specification cannot give an answer."""


class UnknownColumn(AnalysisError):
    """A column named in the specification is not in the data."""

    def __init__(self, column: str, available=None, role: str | None = None):
        self.column = column
        what = f"{role} column" if role else "column"
        hint = ""
        if available is not None:
            cols = [str(c) for c in available]
            shown = ", ".join(cols[:12]) + (", ..." if len(cols) > 12 else "")
            hint = f" (available: {shown})"
        super().__init__(f"unknown {what} {column!r}{hint}")


class NonNumericOutcome(AnalysisError):
    """The outcome (or another numeric input) cannot be read as numbers."""


class ConstantTreatment(AnalysisError):
    """The treatment (or post, or subgroup) indicator takes only one value."""


class NoComparisonGroup(AnalysisError):
    """No untreated (or not-yet-treated) units to compare with."""


class NotEnoughResponses(AnalysisError):
    """Too few usable rows (after dropping missing values) for the estimate."""


class TooFewClusters(AnalysisError):
    """Too few clusters for the requested standard errors."""


class InvalidSpecification(AnalysisError):
    """The options do not make a valid model (bad value, collinear term, ...)."""


class ConvergenceError(AnalysisError):
    """An iterative procedure (raking, fixed-effect absorption) did not converge."""


class DuplicateUpload(AnalysisError):
    """A records file (or the same incidents in another order) was imported before."""
