"""The one renderer: ``render(result, fmt)`` returns the result as text, HTML, LaTeX, JSON or PDF bytes.

Each result builds its own sections (``result.sections()``, from
:mod:`analysis.sections`) and names its own title (``result.report_title``);
this module lays them out without asking what result it holds, and imports no
result module. Every format is made in memory: nothing is written to a
temporary file and read back. HTML is self-contained (CSS and plotly.js inline,
no CDN, works offline); PDF is drawn with reportlab (figures via matplotlib).
"""

from __future__ import annotations

import io
import json
import os

from .errors import InvalidSpecification
from .sections import HUMAN, Section, fmt, html_document, latex_document, table, text_document
from .sections import verdict_label as verdict_label
from .values import clean_json

__all__ = ["FORMATS", "render", "render_bytes", "sections", "to_html", "to_json", "to_latex",
           "to_pdf", "to_text"]

# Names kept for modules and notebooks written against the earlier renderer.
_table = table
_clean = clean_json
fmt_value = fmt
__all__ += ["HUMAN", "Section"]


def sections(obj) -> list[Section]:
    """The sections ``obj`` builds for itself."""
    build = getattr(obj, "sections", None)
    if not callable(build):
        raise TypeError(f"cannot render {type(obj).__name__}: it builds no sections")
    return build()


def _title(obj) -> str:
    title = getattr(obj, "report_title", None)
    return title if isinstance(title, str) else type(obj).__name__


def to_text(obj) -> str:
    """Plain-text summary (like statsmodels ``Summary``)."""
    return text_document(_title(obj), sections(obj))


def to_latex(obj) -> str:
    """A standalone LaTeX document (booktabs tables; figures are in HTML/PDF)."""
    return latex_document(_title(obj), sections(obj))


def to_html(obj, fragment: bool = False) -> str:
    """Self-contained HTML (plotly.js inline); ``fragment=True`` for notebooks."""
    return html_document(_title(obj), sections(obj), fragment=fragment)


def to_json(obj, indent: int | None = 2) -> str:
    """JSON of ``obj.to_dict()`` (NaN -> null)."""
    return json.dumps(clean_json(obj.to_dict()), indent=indent, allow_nan=False, default=str)


def _pdf_bytes(obj) -> bytes:
    from ._pdf import write_pdf

    buf = io.BytesIO()
    write_pdf(_title(obj), sections(obj), buf)
    return buf.getvalue()


FORMATS = {"txt": lambda o: to_text(o).encode("utf-8"), "html": lambda o: to_html(o).encode("utf-8"),
           "tex": lambda o: to_latex(o).encode("utf-8"), "json": lambda o: to_json(o).encode("utf-8"),
           "pdf": _pdf_bytes}
_ALIASES = {"text": "txt", "htm": "html", "latex": "tex"}


def render(obj, fmt: str | os.PathLike) -> bytes | str:
    """``obj`` as bytes in ``fmt`` (txt, html, tex, json, pdf).

    Given a file name instead (``"out.pdf"``, a ``Path``), writes those bytes
    there, the format following the suffix, and returns the path.
    """
    name = os.fspath(fmt)
    key = _ALIASES.get(name.lower(), name.lower())
    if key in FORMATS:
        return FORMATS[key](obj)
    suffix = os.path.splitext(name)[1].lower().lstrip(".")
    key = _ALIASES.get(suffix, suffix)
    if not suffix or key not in FORMATS:
        raise InvalidSpecification(f"unknown report format {name!r}: use html, pdf, tex, json "
                                   "or txt (or a file name ending in one of them)")
    content = FORMATS[key](obj)
    with open(name, "wb") as fh:
        fh.write(content)
    return name


def render_bytes(obj, fmt: str) -> bytes:
    """``obj`` rendered as ``fmt`` (html, pdf, tex, json, txt), in memory."""
    key = _ALIASES.get(str(fmt).lower(), str(fmt).lower())
    if key not in FORMATS:
        raise InvalidSpecification(f"unknown report format {fmt!r}: use html, pdf, tex, json "
                                   "or txt")
    return FORMATS[key](obj)


def to_pdf(obj, path) -> None:
    """Write a PDF report to ``path``."""
    with open(os.fspath(path), "wb") as fh:
        fh.write(_pdf_bytes(obj))
