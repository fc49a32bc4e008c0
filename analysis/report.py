"""Rendering of every analysis result: text, HTML, LaTeX, JSON and PDF.

The only module that formats.  Each result is first turned into *sections*
(key-value lists, tables, paragraphs, an event-study figure); each format
renders the sections.  HTML is self-contained (CSS and plotly.js inline, no
CDN, works offline); PDF is drawn with reportlab (figures via matplotlib), so
export needs no browser.  :func:`render` picks the format from a file suffix.
"""

from __future__ import annotations

import html
import json
import math
import os
from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = ["render", "to_html", "to_json", "to_latex", "to_pdf", "to_text"]

KIND_LABEL = {
    "did": "Difference-in-differences", "ddd": "Triple differences",
    "prepost": "Before/after (one jurisdiction)", "event_study": "Event study",
    "ordinal": "Ordered-response difference-in-differences", "scales": "Scale reliability",
    "weights": "Raking weights", "power": "Power and minimum detectable effect",
    "report": "Policy and trust report",
}


@dataclass(frozen=True)
class Section:
    title: str
    kind: str          # "kv", "table", "text", "list", "figure"
    payload: object


# ---------------------------------------------------------------- formatting
def fmt(x, col: str = "") -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)) or x is pd.NA:
        return ""
    if isinstance(x, (bool, np.bool_)):
        return "yes" if x else "no"
    if isinstance(x, (int, np.integer)):
        return f"{int(x):,}" if abs(int(x)) >= 10_000 else str(int(x))
    if isinstance(x, (float, np.floating)):
        x = float(x)
        if not math.isfinite(x):
            return "inf" if x > 0 else "-inf"
        if col in ("p_value", "pretrend_p") or col.startswith("p_"):
            return "<0.001" if x < 0.001 else f"{x:.3f}"
        if x == int(x) and abs(x) < 1e6 and col in ("cohort", "time", "rel_time", "n", "df"):
            return str(int(x))
        if abs(x) >= 1000:
            return f"{x:,.2f}"
        if abs(x) >= 1e-3 or x == 0:
            return f"{x:.4f}"
        return f"{x:.3e}"
    if isinstance(x, (list, tuple)):
        return ", ".join(fmt(v) for v in x)
    return str(x)


def _table(df: pd.DataFrame, drop: tuple = ()) -> pd.DataFrame:
    df = df.drop(columns=[c for c in drop if c in df.columns])
    return pd.DataFrame({c: [fmt(v, c) for v in df[c]] for c in df.columns})


# ---------------------------------------------------------------- sections
def sections(obj) -> list[Section]:
    """Turn any result (or a Report) into renderable sections."""
    from .event_study import EventStudyResult
    from .power import PowerResult
    from .results import EffectResult
    from .scales import ScaleResult
    from .weights import WeightsResult

    if getattr(obj, "kind", None) == "report":
        return obj.sections()
    if isinstance(obj, EventStudyResult):
        return _event_sections(obj)
    if isinstance(obj, EffectResult):
        return _effect_sections(obj)
    if isinstance(obj, ScaleResult):
        out = [Section("Reliability", "table", _table(obj.tidy)),
               Section("Items", "table", _table(obj.items))]
        return out + ([Section("Notes", "list", list(obj.notes))] if obj.notes else [])
    if isinstance(obj, WeightsResult):
        kv = [("Respondents", obj.n_obs), ("Kish design effect", obj.deff),
              ("Effective sample size", obj.n_obs / obj.deff), ("Converged", obj.converged),
              ("Trim (x mean)", obj.spec.get("trim")), ("Data fingerprint", obj.fingerprint)]
        out = [Section("Weights", "kv", kv), Section("Groups", "table", _table(obj.tidy)),
               Section("Margins", "table", _table(obj.margins))]
        return out + ([Section("Notes", "list", list(obj.notes))] if obj.notes else [])
    if isinstance(obj, PowerResult):
        row = obj.tidy.iloc[0].to_dict()
        out = [Section("Design and detectable effect", "kv", list(row.items()))]
        return out + ([Section("Notes", "list", list(obj.notes))] if obj.notes else [])
    raise TypeError(f"cannot render {type(obj).__name__}")


def _spec_kv(r) -> list[tuple[str, object]]:
    s = r.spec
    kv = [("Outcome", s.get("outcome"))]
    for key, label in (("indicators", "Design indicators"), ("treated", "Treated"),
                       ("post", "Post"), ("unit", "Unit"), ("time", "Time"),
                       ("first_treated", "First treated"), ("estimator", "Estimator"),
                       ("control_group", "Comparison"), ("fixed_effects", "Fixed effects"),
                       ("controls", "Controls"), ("weights", "Weights"),
                       ("cluster", "Cluster"), ("distr", "Link")):
        v = s.get(key)
        if v not in (None, (), [], ""):
            if key == "fixed_effects":
                v = " + ".join("^".join(g) for g in v)
            kv.append((label, v))
    kv += [("Observations", r.n_obs), ("Clusters", s.get("n_clusters") or None),
           ("Inference", r.inference), ("Data fingerprint (SHA-256)", r.fingerprint)]
    return [(k, v) for k, v in kv if v is not None]


def _effect_sections(r) -> list[Section]:
    out = [Section("Specification", "kv", _spec_kv(r)),
           Section("Estimates", "table", _table(r.tidy))]
    ex = r.extras
    if "odds_ratio" in ex:
        out.append(Section("Odds ratio of " + r.term, "kv", list(ex["odds_ratio"].items())))
    if "probability_change" in ex:
        pc = ex["probability_change"]
        pc = pc if isinstance(pc, pd.DataFrame) else pd.DataFrame(list(pc))
        out.append(Section("Change in answer probabilities (treated, post)", "table",
                           _table(pc)))
    if len(r.n_by_group):
        out.append(Section("Responses by group", "table", _table(r.n_by_group)))
    if r.notes:
        out.append(Section("Notes", "list", list(r.notes)))
    return out


def _event_sections(r) -> list[Section]:
    t = r.tidy
    keep = ("estimator", "estimate", "se", "p_value", "ci_low", "ci_high")
    att = t[t["aggregation"] == "simple"]
    pre = r.pretrend
    out = [Section("Specification", "kv", _spec_kv(r)),
           Section("Overall effect (ATT)", "table", _table(att[list(keep)])),
           Section("Pre-trend test", "kv", [("F statistic", pre.get("statistic")),
                                            ("df", f"{pre.get('df1')}, {pre.get('df2')}"),
                                            ("p-value", fmt(pre.get("p_value"), "p_value")),
                                            ("Test", pre.get("note"))]),
           Section("Event figure", "figure", r),
           Section("By event time", "table",
                   _table(r.periods[["rel_time", "estimate", "se", "p_value", "ci_low",
                                     "ci_high"]])),
           Section("Two-way fixed effects, by event time (comparison)", "table",
                   _table(r.comparison.loc[r.comparison["aggregation"] == "dynamic",
                                           ["rel_time", "estimate", "se", "ci_low",
                                            "ci_high"]]))]
    if len(r.by_cohort):
        out.append(Section("By cohort", "table",
                           _table(r.by_cohort[["cohort", "estimate", "se", "ci_low",
                                               "ci_high"]])))
    out.append(Section("Responses by cohort (0 = never treated)", "table",
                       _table(r.n_by_group)))
    if r.notes:
        out.append(Section("Notes", "list", list(r.notes)))
    return out


def _title(obj) -> str:
    if isinstance(getattr(obj, "title", None), str):
        return obj.title
    kind = getattr(obj, "kind", "")
    label = KIND_LABEL.get(kind, kind)
    outcome = getattr(obj, "spec", {}) or {}
    outcome = outcome.get("outcome") if hasattr(outcome, "get") else None
    return f"{label}: {outcome}" if outcome else label


# ---------------------------------------------------------------- text
def to_text(obj) -> str:
    """Plain-text summary (like statsmodels ``Summary``)."""
    lines = [_title(obj), "=" * max(60, len(_title(obj)))]
    for s in sections(obj):
        if s.kind == "figure":
            continue
        lines += ["", s.title, "-" * len(s.title)]
        if s.kind == "kv":
            width = max((len(str(k)) for k, _ in s.payload), default=0)
            lines += [f"{k!s:<{width}}  {fmt(v, str(k))}" for k, v in s.payload]
        elif s.kind == "table":
            lines.append(s.payload.to_string(index=False) if len(s.payload) else "(none)")
        elif s.kind == "list":
            lines += [f"- {x}" for x in s.payload]
        elif s.kind == "verdict":
            lines.append(f"{s.payload[0].upper()}: {s.payload[1]}")
        else:
            lines.append(str(s.payload))
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------- JSON
def to_json(obj, indent: int | None = 2) -> str:
    """JSON of ``obj.to_dict()`` (NaN -> null)."""
    return json.dumps(_clean(obj.to_dict()), indent=indent, allow_nan=False, default=str)


def _clean(x):
    if isinstance(x, dict):
        return {str(k): _clean(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_clean(v) for v in x]
    if isinstance(x, pd.DataFrame):
        return _clean(x.to_dict(orient="records"))
    if isinstance(x, np.generic):
        x = x.item()
    if isinstance(x, float) and not math.isfinite(x):
        return None
    if x is pd.NA:
        return None
    return x


# ---------------------------------------------------------------- LaTeX
def _tex(s) -> str:
    rep = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#",
           "_": r"\_", "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\^{}",
           "<": r"$<$", ">": r"$>$"}
    return "".join(rep.get(ch, ch) for ch in str(s))


def to_latex(obj) -> str:
    """A standalone LaTeX document (booktabs tables; figures are in HTML/PDF)."""
    out = [r"\documentclass[10pt]{article}", r"\usepackage[margin=2cm]{geometry}",
           r"\usepackage{booktabs}", r"\usepackage[T1]{fontenc}", r"\begin{document}",
           r"\section*{" + _tex(_title(obj)) + "}"]
    for s in sections(obj):
        if s.kind == "figure":
            continue
        out.append(r"\subsection*{" + _tex(s.title) + "}")
        if s.kind == "kv":
            out += [r"\begin{tabular}{ll}", r"\toprule"]
            out += [f"{_tex(k)} & {_tex(fmt(v, str(k)))} \\\\" for k, v in s.payload]
            out += [r"\bottomrule", r"\end{tabular}"]
        elif s.kind == "table":
            t = s.payload
            out += [r"{\small\begin{tabular}{" + "l" + "r" * (t.shape[1] - 1) + "}",
                    r"\toprule", " & ".join(_tex(c) for c in t.columns) + r" \\", r"\midrule"]
            out += [" & ".join(_tex(v) for v in row) + r" \\" for row in t.itertuples(
                index=False)]
            out += [r"\bottomrule", r"\end{tabular}}"]
        elif s.kind == "list":
            out += [r"\begin{itemize}"] + [r"\item " + _tex(x) for x in s.payload]
            out.append(r"\end{itemize}")
        elif s.kind == "verdict":
            out.append(r"\textbf{" + _tex(s.payload[0].upper()) + "}: " + _tex(s.payload[1]))
        else:
            out.append(_tex(s.payload))
    out.append(r"\end{document}")
    return "\n".join(out) + "\n"


# ---------------------------------------------------------------- HTML
_CSS = """body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;max-width:60rem;
margin:2rem auto;padding:0 1rem;color:#1b1f24;line-height:1.45}
h1{font-size:1.5rem}h2{font-size:1.15rem;margin-top:1.8rem;border-bottom:1px solid #d0d7de}
table{border-collapse:collapse;font-size:.88rem;margin:.5rem 0}
th,td{padding:.25rem .6rem;border-bottom:1px solid #eaeef2;text-align:right}
th{background:#f6f8fa}td:first-child,th:first-child{text-align:left}
.verdict{padding:.8rem 1rem;border-left:.35rem solid #57606a;background:#f6f8fa}
.supports{border-color:#1a7f37}.contradicts{border-color:#cf222e}.inconclusive{border-color:#9a6700}
"""


def _html_table(t: pd.DataFrame) -> str:
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in t.columns)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(str(v))}</td>" for v in row) + "</tr>"
                   for row in t.itertuples(index=False))
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def to_html(obj, fragment: bool = False) -> str:
    """Self-contained HTML (plotly.js inline); ``fragment=True`` for notebooks."""
    parts = [f"<h1>{html.escape(_title(obj))}</h1>"]
    figures = False
    for s in sections(obj):
        if s.kind == "figure":
            if fragment:
                continue
            parts.append(f"<h2>{html.escape(s.title)}</h2>")
            parts.append(_plotly_div(s.payload))
            figures = True
            continue
        parts.append(f"<h2>{html.escape(s.title)}</h2>")
        if s.kind == "kv":
            parts.append(_html_table(pd.DataFrame(
                {"": [str(k) for k, _ in s.payload],
                 " ": [fmt(v, str(k)) for k, v in s.payload]})))
        elif s.kind == "table":
            parts.append(_html_table(s.payload) if len(s.payload) else "<p>(none)</p>")
        elif s.kind == "list":
            parts.append("<ul>" + "".join(f"<li>{html.escape(str(x))}</li>"
                                          for x in s.payload) + "</ul>")
        elif s.kind == "verdict":
            word, text = s.payload
            parts.append(f'<div class="verdict {html.escape(word)}"><strong>'
                         f"{html.escape(word.upper())}</strong>: {html.escape(text)}</div>")
        else:
            parts.append(f"<p>{html.escape(str(s.payload))}</p>")
    body = "\n".join(parts)
    if fragment:
        return f"<div>{body}</div>"
    script = ""
    if figures:
        from plotly.offline import get_plotlyjs

        script = f'<script type="text/javascript">{get_plotlyjs()}</script>'
    return (f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
            f"<title>{html.escape(_title(obj))}</title><style>{_CSS}</style>{script}</head>"
            f"<body>{body}</body></html>\n")


def _event_frame(r) -> pd.DataFrame:
    per = r.periods.assign(series=r.spec["estimator"])
    tw = r.comparison
    tw = tw[tw["aggregation"] == "dynamic"].assign(series="twfe")
    frames = [per] if r.spec["estimator"] == "twfe" else [per, tw]
    return pd.concat(frames, ignore_index=True)


def _plotly_div(r) -> str:
    import plotly.graph_objects as go

    fig = go.Figure()
    d = _event_frame(r)
    names = {"cs": "Callaway-Sant'Anna", "sa": "Sun-Abraham", "twfe": "two-way FE"}
    for i, (name, g) in enumerate(d.groupby("series", sort=False)):
        x = g["rel_time"].astype(float) + (0.12 * i)
        fig.add_trace(go.Scatter(
            x=x, y=g["estimate"], mode="markers", name=names.get(name, name),
            error_y={"type": "data", "symmetric": False,
                     "array": g["ci_high"] - g["estimate"],
                     "arrayminus": g["estimate"] - g["ci_low"]}))
    fig.add_hline(y=0, line_dash="dot", line_color="#57606a")
    fig.add_vline(x=-0.5, line_dash="dash", line_color="#8c959f")
    fig.update_layout(xaxis_title="waves relative to the event",
                      yaxis_title=f"effect on {r.spec['outcome']}", template="simple_white",
                      height=380, margin={"l": 60, "r": 20, "t": 20, "b": 50})
    return fig.to_html(full_html=False, include_plotlyjs=False)


# ---------------------------------------------------------------- PDF
def to_pdf(obj, path) -> None:
    """Write a PDF report (reportlab; works offline, no browser)."""
    from ._pdf import write_pdf

    write_pdf(obj, path)


# ---------------------------------------------------------------- dispatch
def render(obj, path) -> str:
    """Write ``obj`` to ``path``; the format follows the suffix (.html .pdf .tex .json .txt)."""
    from .errors import InvalidSpecification

    suffix = os.path.splitext(os.fspath(path))[1].lower()
    writers = {".html": to_html, ".htm": to_html, ".tex": to_latex, ".json": to_json,
               ".txt": to_text}
    if suffix == ".pdf":
        to_pdf(obj, path)
        return os.fspath(path)
    if suffix not in writers:
        raise InvalidSpecification(f"unknown report format {suffix!r}: use .html, .pdf, .tex, "
                                   ".json or .txt")
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(writers[suffix](obj))
    return os.fspath(path)
