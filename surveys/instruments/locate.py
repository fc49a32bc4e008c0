"""Turn a path in the parsed document into a Problem with a line number and an owner id."""

from __future__ import annotations

from typing import Any

from .errors import Problem

# Sections whose entries are keyed by their id (the key is the owner of what is below it).
_KEYED_SECTIONS = ("option_sets", "scales", "flags", "texts")


def format_path(path: tuple) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


class Locator:
    """Knows the document and its line table; makes Problems that say where they are."""

    def __init__(self, data: object, lines: dict[tuple, int]):
        self.data = data
        self.lines = lines

    def line(self, path: tuple) -> int | None:
        for end in range(len(path), -1, -1):
            if path[:end] in self.lines:
                return self.lines[path[:end]]
        return None

    def owner(self, path: tuple) -> str | None:
        """Id of the nearest enclosing block, item, grid row, option set, scale, flag or language."""
        if len(path) >= 2 and path[0] in _KEYED_SECTIONS:
            return str(path[1])
        if len(path) >= 2 and path[0] == "languages":
            node = self._node(path[:2])
            code = node.get("code") if isinstance(node, dict) else None
            return code if isinstance(code, str) else None
        for end in range(len(path), 0, -1):
            if path[0] != "blocks" or not isinstance(path[end - 1], int):
                continue
            node = self._node(path[:end])
            if isinstance(node, dict) and isinstance(node.get("id"), str):
                return node["id"]
        return None

    def problem(self, path: tuple, message: str) -> Problem:
        return Problem(message, line=self.line(path), item=self.owner(path), path=format_path(path))

    def _node(self, path: tuple) -> object:
        node: Any = self.data
        for part in path:
            try:
                node = node[part]
            except (KeyError, IndexError, TypeError):
                return None
        return node
