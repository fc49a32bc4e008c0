"""Problems found while loading an instrument, and the error that carries them."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an instrument file.

    ``line`` is 1-based (None when the problem is not tied to a place, e.g. an unreadable
    file); ``item`` is the id of the nearest enclosing item, grid row, block, option set,
    scale, flag or language (None at the top level); ``path`` is where in the document
    the problem sits, e.g. ``blocks[2].items[0].text``.
    """

    message: str
    line: int | None = None
    item: str | None = None
    path: str = ""

    def __str__(self) -> str:
        where = f"line {self.line}" if self.line is not None else "file"
        about = f" [{self.item}]" if self.item else ""
        at = f" {self.path}:" if self.path else ""
        return f"{where}{about}{at} {self.message}"


class InstrumentError(ValueError):
    """An instrument file could not be loaded; ``problems`` lists every problem found."""

    def __init__(self, source_name: str, problems: list[Problem]):
        self.source_name = source_name
        self.problems = sorted(problems, key=lambda p: (p.line is None, p.line or 0, p.path))
        super().__init__(self._render())

    def _render(self) -> str:
        count = len(self.problems)
        head = f"{self.source_name}: {count} problem{'s' if count != 1 else ''}"
        return "\n".join([head + ":"] + [f"  {p}" for p in self.problems])
