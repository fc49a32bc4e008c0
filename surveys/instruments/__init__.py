"""Survey instruments: a YAML format, its validating loader and the shipped default.

Pure Python (PyYAML and jsonschema only): nothing here imports Flask or the rest of
``surveys``. The format is described in ``docs/instrument-format.md``.

    from surveys.instruments import load_instrument, DEFAULT_INSTRUMENT_PATH
    inst = load_instrument(DEFAULT_INSTRUMENT_PATH)
    inst.validate_answers({"born_abroad": 1}, "es")   # {} when all is well
    inst.score(answers), inst.is_immigrant(answers)
"""

from __future__ import annotations

from os import PathLike
from pathlib import Path
from typing import cast

from .build import build
from .checks import semantic_problems
from .errors import InstrumentError, Problem
from .locate import Locator
from .model import Block, Condition, Instrument, Language, Option, Question, Scale
from .schema_check import SCHEMA_PATH, schema_problems
from .yaml_lines import load_with_lines

DEFAULT_INSTRUMENT_PATH = Path(__file__).with_name("civic-trust-core.yaml")
# The scales stored in their own columns of every response (``Response.trust`` ...), published
# in every aggregate and named alike in exports and codebooks; an instrument's other scales are
# kept in ``Response.scores``. The one table of these names: everything else imports it.
CORE_SCALES: tuple[str, ...] = ("trust", "willingness", "fear", "involvement")
MAX_SOURCE_CHARS = 2_000_000

__all__ = [
    "CORE_SCALES", "DEFAULT_INSTRUMENT_PATH", "SCHEMA_PATH", "Block", "Condition", "Instrument", "InstrumentError",
    "Language", "Option", "Problem", "Question", "Scale", "load_instrument", "parse_instrument",
]


def parse_instrument(text: str, source_name: str = "<instrument>") -> Instrument:
    """Validate and build an instrument from YAML text; raise InstrumentError listing every problem."""
    if not isinstance(text, str):
        raise InstrumentError(source_name, [Problem("the instrument must be given as text")])
    if len(text) > MAX_SOURCE_CHARS:
        raise InstrumentError(source_name, [Problem(f"the file is too large (over {MAX_SOURCE_CHARS} characters)")])
    data, lines, problems = load_with_lines(text)
    if data is None:
        raise InstrumentError(source_name, problems)
    where = Locator(data, lines)
    problems += schema_problems(data, where)
    problems += semantic_problems(data, where)
    if problems:
        raise InstrumentError(source_name, problems)
    return build(cast(dict, data), text, source_name)


def load_instrument(path: str | PathLike) -> Instrument:
    """Read and parse an instrument file; unreadable files raise InstrumentError too."""
    name = str(path)
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise InstrumentError(name, [Problem(f"cannot read the file: {exc.strerror or exc}")]) from None
    if len(raw) > MAX_SOURCE_CHARS * 4:
        raise InstrumentError(name, [Problem(f"the file is too large (over {MAX_SOURCE_CHARS} characters)")])
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InstrumentError(name, [Problem(f"the file is not UTF-8 text (byte {exc.start})")]) from None
    return parse_instrument(text, source_name=Path(path).name)
