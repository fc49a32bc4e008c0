"""Read YAML into plain Python data and remember the line of every value.

PyYAML's ``safe_load`` forgets where things were. Here the document is composed into
nodes and converted by hand, so that every path (``("blocks", 2, "items", 0, "text")``)
maps to the 1-based line of its key (for mapping entries) or of the entry itself (for
sequence entries). The conversion also reports what ``safe_load`` would pass over in
silence: duplicate keys and keys that are not plain scalars.

Booleans follow YAML 1.2 (only ``true``/``false``), so an answer option labelled ``No``
or a language code ``no`` stays a string instead of turning into ``False``.
"""

from __future__ import annotations

import re

import yaml

from .errors import Problem

Path = tuple  # of str | int

MAX_NODES = 200_000  # a hand-written instrument has a few thousand; aliases must not blow up


class _Loader(yaml.SafeLoader):
    """SafeLoader with YAML 1.2 booleans."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool",
    re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
    list("tTfF"),
)


class _TooBig(Exception):
    pass


def load_with_lines(text: str) -> tuple[object, dict[Path, int], list[Problem]]:
    """Parse ``text``; return (data, lines, problems).

    On a YAML syntax error the data is None and the one problem names the line.
    """
    try:
        loader = _Loader(text)
    except yaml.reader.ReaderError as exc:  # a control character anywhere in the text
        line = text[: exc.position].count("\n") + 1
        return None, {}, [Problem(f"not valid YAML: character #x{exc.character:04x} is not allowed", line=line)]
    try:
        node = loader.get_single_node()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        at = mark.line + 1 if mark is not None else None
        what = " ".join(str(part) for part in (exc.context, exc.problem) if part)
        if "flow" in what:
            what += " (inside {...} or [...], put text that contains ? : # , in quotes)"
        return None, {}, [Problem(f"not valid YAML: {what}", line=at)]
    except yaml.YAMLError as exc:  # e.g. a reader error on a control character
        return None, {}, [Problem(f"not valid YAML: {exc}")]
    finally:
        loader.dispose()
    if node is None:
        return None, {}, [Problem("the file is empty", line=1)]
    converter = _Converter(loader)
    try:
        data = converter.convert(node, ())
    except _TooBig:
        return None, {}, [Problem(f"the document is too large (over {MAX_NODES} values)", line=1)]
    converter.lines.setdefault((), node.start_mark.line + 1)
    return data, converter.lines, converter.problems


class _Converter:
    def __init__(self, loader: yaml.SafeLoader):
        self.loader = loader
        self.lines: dict[Path, int] = {}
        self.problems: list[Problem] = []
        self.count = 0
        self.active: set[int] = set()  # node ids on the current path, to stop recursive aliases

    def convert(self, node: yaml.Node, path: Path) -> object:
        self.count += 1
        if self.count > MAX_NODES:
            raise _TooBig
        line = node.start_mark.line + 1
        self.lines.setdefault(path, line)
        if id(node) in self.active:
            self.problems.append(Problem("an alias refers to itself", line=line))
            return None
        if isinstance(node, yaml.ScalarNode):
            return self._scalar(node, line)
        self.active.add(id(node))
        try:
            if isinstance(node, yaml.SequenceNode):
                return [self.convert(child, path + (i,)) for i, child in enumerate(node.value)]
            return self._mapping(node, path)
        finally:
            self.active.discard(id(node))

    def _scalar(self, node: yaml.ScalarNode, line: int) -> object:
        try:
            return self.loader.construct_object(node, deep=True)
        except yaml.YAMLError as exc:  # e.g. an impossible date such as 2024-02-31
            self.problems.append(Problem(f"cannot read the value {node.value!r}: {exc}", line=line))
            return None
        except ValueError as exc:
            self.problems.append(Problem(f"cannot read the value {node.value!r}: {exc}", line=line))
            return None

    def _mapping(self, node: yaml.MappingNode, path: Path) -> dict:
        try:
            self.loader.flatten_mapping(node)  # resolves "<<" merge keys
        except yaml.YAMLError as exc:
            self.problems.append(Problem(f"bad merge key: {exc}", line=node.start_mark.line + 1))
        result: dict = {}
        first_line: dict[str, int] = {}
        for key_node, value_node in node.value:
            key_line = key_node.start_mark.line + 1
            if not isinstance(key_node, yaml.ScalarNode):
                self.problems.append(Problem("a key must be plain text", line=key_line))
                continue
            key = key_node.value  # keys are always text: "no", "on", "1" stay strings
            if key in first_line:
                self.problems.append(
                    Problem(f"duplicate key '{key}' (first given on line {first_line[key]})", line=key_line)
                )
                continue
            first_line[key] = key_line
            self.lines[path + (key,)] = key_line
            result[key] = self.convert(value_node, path + (key,))
        return result
