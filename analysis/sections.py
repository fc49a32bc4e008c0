"""Report sections: what a result says, and how each kind of section is drawn in every format.

A result builds its own list of :class:`Section` objects (as statsmodels'
``Summary`` is built by each model); :mod:`analysis.document` lays them out as
text, HTML, LaTeX or PDF without asking what result they came from or what kind
of section each is. A section kind's four drawings (text, HTML, LaTeX, PDF) sit
together in one class below, so they cannot disagree about what a kind holds.

Numbers are formatted once, by :func:`fmt`: three decimals with thousands
separators for every real number, integers for counts, "<0.001" for small
p-values, so a table never mixes "2,013.00" with "975.0000".

Past 300 lines on purpose: every section kind with its four formats, and the one
number formatter, in one place.
"""

from __future__ import annotations

import html
import math
import re
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import pandas as pd

__all__ = ["COLUMN_LABEL", "HUMAN", "Figure", "Section", "fmt", "header_label", "method_label",
           "table", "verdict_label"]

# Internal option values as a reader should see them (issue 13: no "cs", "n", column names).
HUMAN = {"estimator": {"cs": "Callaway-Sant'Anna (heterogeneity-robust)", "sa": "Sun-Abraham",
                       "twfe": "two-way fixed effects", "ppml": "Poisson pseudo-maximum likelihood"},
         "control_group": {"never": "never-treated jurisdictions",
                           "notyet": "not-yet-treated jurisdictions"},
         "weights": {"n": "respondents per cell", "respondents": "respondents per cell",
                     "_rake_weight": "raking weights"}}

COLUMN_LABEL = {"estimate": "Estimate", "se": "Std. error", "p_value": "p-value",
                "ci_low": "95% CI low", "ci_high": "95% CI high", "statistic": "Statistic",
                "rel_time": "Waves since event", "band_low": "Uniform band low",
                "band_high": "Uniform band high", "cohort": "Adoption wave",
                "estimator": "Estimator", "term": "Term", "n": "Cells", "mean": "Mean",
                "inference": "p-value method", "pretrend_p": "Pre-trend p-value",
                "column": "Variable", "share": "Share", "units": "Places",
                "respondents": "Respondents", "suppressed": "Suppressed", "weight": "Weight",
                "post": "After the event", "df": "Degrees of freedom",
                "mde": "Minimum detectable effect", "icc": "Intra-cluster correlation",
                "sd": "Standard deviation", "deff": "Design effect", "n_jurisdictions": "Jurisdictions",
                "n_waves": "Waves"}

_RAW_NAME = re.compile(r"[a-z0-9_]+")


def header_label(name) -> str:
    """A table header as a reader sees it (issue 13: no column names in a report).

    The one place headers are named: :data:`COLUMN_LABEL` when it knows the
    column, else a raw name (lower case, digits, underscores) spelled out
    (``rows_by_reason`` -> ``Rows by reason``); a header that is already
    words (``p-value method``, ``95% CI low``, a place's name) is kept as it is.
    """
    name = str(name)
    if name in COLUMN_LABEL:
        return COLUMN_LABEL[name]
    if _RAW_NAME.fullmatch(name):
        words = name.replace("_", " ").strip()
        return words[:1].upper() + words[1:] if words else name
    return name

_INTEGER_COLUMNS = ("cohort", "time", "rel_time", "n", "df", "weight", "respondents", "count")


def fmt(x, col: str = "") -> str:
    """One number format for every document: see the module docstring."""
    if x is None or (isinstance(x, float) and math.isnan(x)) or x is pd.NA:
        return ""
    if isinstance(x, (bool, np.bool_)):
        return "yes" if x else "no"
    if isinstance(x, (int, np.integer)):
        return f"{int(x):,}"
    if isinstance(x, (float, np.floating)):
        x = float(x)
        if not math.isfinite(x):
            return "inf" if x > 0 else "-inf"
        if col in ("p_value", "pretrend_p") or col.startswith("p_"):
            return "<0.001" if x < 0.001 else f"{x:.3f}"
        if x == int(x) and abs(x) < 1e9 and col in _INTEGER_COLUMNS:
            return f"{int(x):,}"
        if abs(x) >= 1e-3 or x == 0:
            return f"{x:,.3f}"
        return f"{x:.2e}"
    if isinstance(x, (list, tuple)):
        return ", ".join(fmt(v) for v in x)
    return str(x)


METHOD_LABEL = {"wild": "wild cluster bootstrap", "randomization": "randomization inference",
                "ri": "randomization inference", "bootstrap": "multiplier bootstrap",
                "cluster": "cluster-robust, t(G-1)", "hc1": "heteroskedasticity-robust (HC1)",
                "classical": "classical", "wave-level-hac": "wave-level HAC",
                "wave-level-refused": "none (refused)"}


def method_label(info) -> str:
    """The p-value's method in words, from an estimator's inference record (``{"method": ...}``)."""
    method = (info or {}).get("method") if hasattr(info, "get") else info
    return METHOD_LABEL.get(str(method), str(method)) if method else "not recorded"


def verdict_label(word: str) -> str:
    """The verdict as printed: ``no_effect_of_interest`` -> ``NO EFFECT OF INTEREST``."""
    return str(word).replace("_", " ").upper()


def table(df: pd.DataFrame, drop: tuple = ()) -> pd.DataFrame:
    """Formatted cells (option values such as "cs" spelled out) under their column names.

    The headers stay the result's column names here; every format draws them
    through :func:`header_label`, so a table built without this helper is
    labelled too.
    """
    df = df.drop(columns=[c for c in drop if c in df.columns])
    out = {}
    for c in df.columns:
        out[str(c)] = [fmt(HUMAN.get(str(c), {}).get(v, v) if isinstance(v, str) else v, c)
                       for v in df[c]]
    return pd.DataFrame(out)


def _headers(t: pd.DataFrame) -> list[str]:
    return [header_label(c) for c in t.columns]


@dataclass(frozen=True)
class Figure:
    """An event-study figure as data: one row per point (``series``, ``rel_time``,
    ``estimate``, ``ci_low``, ``ci_high``), axis titles and the series' names."""

    frame: pd.DataFrame
    x_label: str
    y_label: str
    names: Any = None  # series -> legend label


def _tex(s) -> str:
    rep = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#",
           "_": r"\_", "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\^{}",
           "<": r"$<$", ">": r"$>$"}
    return "".join(rep.get(ch, ch) for ch in str(s))


def _html_table(t: pd.DataFrame, cls: str = "") -> str:
    head = "".join(f"<th>{html.escape(c)}</th>" for c in _headers(t))
    body = "".join("<tr>" + "".join(f"<td>{html.escape(str(v))}</td>" for v in row) + "</tr>"
                   for row in t.itertuples(index=False))
    attr = f' class="{cls}"' if cls else ""
    return (f'<div class="scroll"><table{attr}><thead><tr>{head}</tr></thead><tbody>{body}</tbody>'
            "</table></div>")  # a wide table scrolls on a phone; the page does not


class _Kind:
    """How one kind of section is drawn in each format (``payload`` as the kind defines it)."""

    figure: ClassVar[bool] = False

    @staticmethod
    def text(payload) -> list[str]:
        return [str(payload)]

    @staticmethod
    def latex(payload) -> list[str]:
        return [_tex(payload)]

    @staticmethod
    def html(payload, fragment: bool) -> str:
        return f"<p>{html.escape(str(payload))}</p>"

    @staticmethod
    def pdf(payload, kit) -> list:
        return [kit.paragraph(html.escape(str(payload)))]


class _KeyValues(_Kind):
    """``payload``: a list of (label, value) pairs."""

    @staticmethod
    def text(payload) -> list[str]:
        width = max((len(header_label(k)) for k, _ in payload), default=0)
        return [f"{header_label(k):<{width}}  {fmt(v, str(k))}" for k, v in payload]

    @staticmethod
    def latex(payload) -> list[str]:
        return ([r"\begin{tabular}{ll}", r"\toprule"]
                + [f"{_tex(header_label(k))} & {_tex(fmt(v, str(k)))} \\\\" for k, v in payload]
                + [r"\bottomrule", r"\end{tabular}"])

    @staticmethod
    def html(payload, fragment: bool) -> str:
        rows = "".join(f'<tr><th scope="row">{html.escape(header_label(k))}</th>'
                       f"<td>{html.escape(fmt(v, str(k)))}</td></tr>" for k, v in payload)
        return f'<table class="kv"><tbody>{rows}</tbody></table>'  # labels head their rows

    @staticmethod
    def pdf(payload, kit) -> list:
        return [kit.key_values([(header_label(k), fmt(v, str(k))) for k, v in payload])]


class _Table(_Kind):
    """``payload``: a DataFrame of formatted cells (see :func:`table`)."""

    @staticmethod
    def text(payload) -> list[str]:
        if not len(payload):
            return ["(none)"]
        return [payload.set_axis(_headers(payload), axis=1).to_string(index=False)]

    @staticmethod
    def latex(payload) -> list[str]:
        return ([r"{\small\begin{tabular}{" + "l" + "r" * (payload.shape[1] - 1) + "}",
                 r"\toprule", " & ".join(_tex(c) for c in _headers(payload)) + r" \\", r"\midrule"]
                + [" & ".join(_tex(v) for v in row) + r" \\"
                   for row in payload.itertuples(index=False)]
                + [r"\bottomrule", r"\end{tabular}}"])

    @staticmethod
    def html(payload, fragment: bool) -> str:
        return _html_table(payload) if len(payload) else "<p>(none)</p>"

    @staticmethod
    def pdf(payload, kit) -> list:
        return [kit.table([_headers(payload)]
                          + [list(map(str, r)) for r in payload.itertuples(index=False)])]


class _Bullets(_Kind):
    """``payload``: a list of sentences."""

    @staticmethod
    def text(payload) -> list[str]:
        return [f"- {x}" for x in payload]

    @staticmethod
    def latex(payload) -> list[str]:
        return [r"\begin{itemize}"] + [r"\item " + _tex(x) for x in payload] + [r"\end{itemize}"]

    @staticmethod
    def html(payload, fragment: bool) -> str:
        return "<ul>" + "".join(f"<li>{html.escape(str(x))}</li>" for x in payload) + "</ul>"

    @staticmethod
    def pdf(payload, kit) -> list:
        return [kit.paragraph("&bull; " + html.escape(str(x)), small=True) for x in payload]


class _Verdict(_Kind):
    """``payload``: (verdict word, sentence)."""

    @staticmethod
    def text(payload) -> list[str]:
        return [f"{verdict_label(payload[0])}: {payload[1]}"]

    @staticmethod
    def latex(payload) -> list[str]:
        return [r"\textbf{" + _tex(verdict_label(payload[0])) + "}: " + _tex(payload[1])]

    @staticmethod
    def html(payload, fragment: bool) -> str:
        word, text = payload
        return (f'<div class="verdict {html.escape(word)}"><strong>'
                f"{html.escape(verdict_label(word))}</strong>: {html.escape(text)}</div>")

    @staticmethod
    def pdf(payload, kit) -> list:
        return [kit.paragraph(f"<b>{html.escape(verdict_label(payload[0]))}</b>: "
                              f"{html.escape(payload[1])}")]


class _Plot(_Kind):
    """``payload``: a :class:`Figure`; left out of text and LaTeX, drawn in HTML and PDF."""

    figure = True

    @staticmethod
    def text(payload) -> list[str]:
        return []

    @staticmethod
    def latex(payload) -> list[str]:
        return []

    @staticmethod
    def html(payload, fragment: bool) -> str:
        return "" if fragment else _plotly_div(payload)

    @staticmethod
    def pdf(payload, kit) -> list:
        return [kit.figure(payload)]


KINDS: dict[str, type[_Kind]] = {"kv": _KeyValues, "table": _Table, "text": _Kind,
                                 "list": _Bullets, "verdict": _Verdict, "figure": _Plot}


@dataclass(frozen=True)
class Section:
    """A titled block of a report; ``kind`` is one of :data:`KINDS`."""

    title: str
    kind: str
    payload: Any

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown section kind {self.kind!r}: one of {', '.join(KINDS)}")

    @property
    def drawn(self) -> type[_Kind]:
        return KINDS[self.kind]

    def retitled(self, prefix: str) -> Section:
        """The same section under ``prefix: title`` (a component of a larger report)."""
        return Section(f"{prefix}: {self.title}", self.kind, self.payload)


def _plotly_div(figure: Figure) -> str:
    import plotly.graph_objects as go

    fig = go.Figure()
    names = dict(figure.names or {})
    for i, (name, g) in enumerate(figure.frame.groupby("series", sort=False)):
        x = g["rel_time"].astype(float) + (0.12 * i)
        fig.add_trace(go.Scatter(
            x=x, y=g["estimate"], mode="markers", name=names.get(name, name),
            error_y={"type": "data", "symmetric": False,
                     "array": g["ci_high"] - g["estimate"],
                     "arrayminus": g["estimate"] - g["ci_low"]}))
    fig.add_hline(y=0, line_dash="dot", line_color="#57606a")
    fig.add_vline(x=-0.5, line_dash="dash", line_color="#8c959f")
    fig.update_layout(xaxis_title=figure.x_label, yaxis_title=figure.y_label,
                      template="simple_white",
                      height=380, margin={"l": 60, "r": 20, "t": 20, "b": 50})
    return fig.to_html(full_html=False, include_plotlyjs=False)


# ---------------------------------------------------------------- documents
# A document is a title and sections; each format lays them out and lets each section draw itself.
CSS = """body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;max-width:60rem;
margin:2rem auto;padding:0 1rem;color:#1b1f24;line-height:1.45}
h1{font-size:1.5rem}h2{font-size:1.15rem;margin-top:1.8rem;border-bottom:1px solid #d0d7de}
table{border-collapse:collapse;font-size:.88rem;margin:.5rem 0}
th,td{padding:.25rem .6rem;border-bottom:1px solid #eaeef2;text-align:right}
th{background:#f6f8fa}td:first-child,th:first-child{text-align:left}.kv td{text-align:left}
.kv th{background:none;font-weight:normal;color:#57606a;vertical-align:top}.scroll{overflow-x:auto}
.kv td{overflow-wrap:anywhere}
.verdict{padding:.8rem 1rem;border-left:.35rem solid #57606a;background:#f6f8fa}
.supports{border-color:#1a7f37}.opposite{border-color:#cf222e}.no_effect_of_interest{border-color:#0969da}
.inconclusive{border-color:#9a6700}
"""


def text_document(title: str, sections: list[Section]) -> str:
    """Plain text (like statsmodels ``Summary.as_text``)."""
    lines = [title, "=" * max(60, len(title))]
    for s in sections:
        if not s.drawn.figure:  # figures are drawn in HTML and PDF only
            lines += ["", s.title, "-" * len(s.title), *s.drawn.text(s.payload)]
    return "\n".join(lines) + "\n"


def latex_document(title: str, sections: list[Section]) -> str:
    """A standalone LaTeX document (booktabs tables; figures are in HTML and PDF)."""
    out = [r"\documentclass[10pt]{article}", r"\usepackage[margin=2cm]{geometry}",
           r"\usepackage{booktabs}", r"\usepackage[T1]{fontenc}", r"\begin{document}",
           r"\section*{" + _tex(title) + "}"]
    for s in sections:
        if not s.drawn.figure:
            out += [r"\subsection*{" + _tex(s.title) + "}", *s.drawn.latex(s.payload)]
    out.append(r"\end{document}")
    return "\n".join(out) + "\n"


def html_document(title: str, sections: list[Section], fragment: bool = False) -> str:
    """Self-contained HTML (plotly.js inline when there is a figure); a ``<div>`` for notebooks."""
    parts = [f"<h1>{html.escape(title)}</h1>"]
    for s in sections:
        if not (fragment and s.drawn.figure):
            parts += [f"<h2>{html.escape(s.title)}</h2>", s.drawn.html(s.payload, fragment)]
    body = "\n".join(parts)
    if fragment:
        return f"<div>{body}</div>"
    script = ""
    if any(s.drawn.figure for s in sections):
        from plotly.offline import get_plotlyjs

        script = f'<script type="text/javascript">{get_plotlyjs()}</script>'
    return (f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
            f"<title>{html.escape(title)}</title><style>{CSS}</style>{script}</head>"
            f"<body>{body}</body></html>\n")
