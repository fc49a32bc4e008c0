"""Plotly figures for the dashboard, built as plain dicts from suppressed aggregate tables.

Plain dicts (not ``plotly.graph_objects``) because validation of a figure with
hundreds of traces costs more than the database query behind it; the JSON is
the documented plotly.js figure format. Suppressed cells arrive as NaN and
become gaps (``null``), never zeros, and their hover text says "suppressed".
"""
from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import numpy as np

from ..aggregates import AggregateTable
from ..models import Survey

MEASURE_LABELS = {
    "trust": "Trust in police",
    "willingness": "Willingness to report crime",
    "fear": "Fear of immigration consequences",
    "involvement": "Perceived police involvement in immigration enforcement",
}
SUBGROUP_LABELS = {"immigrant": "Immigrant background", "non_immigrant": "No immigrant background"}
# Colour-blind-safe qualitative palette (Okabe & Ito), repeated for many jurisdictions.
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#F0E442")
INTERVAL_MAX_LINES = 40
FONT = {"family": "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif", "size": 13}


def nullable(values: np.ndarray, digits: int = 4) -> list:
    """Floats for JSON: NaN (suppressed or empty) becomes null, never 0."""
    values = np.asarray(values, dtype=float)
    return [None if v != v else v for v in np.round(values, digits).tolist()]


def _layout(title: str, **extra: object) -> dict:
    layout = {"title": {"text": title}, "font": FONT, "margin": {"l": 60, "r": 20, "t": 60, "b": 50},
              "hovermode": "closest", "legend": {"orientation": "h", "y": -0.2}}
    layout.update(extra)
    return layout


def _wave_axis(survey: Survey, waves: Sequence[int], title: str = "Wave") -> dict:
    labels = {w.number: w.label for w in survey.waves}
    return {"title": {"text": title}, "tickmode": "array", "tickvals": list(waves),
            "ticktext": [labels.get(n, str(n)) for n in waves]}


def event_position(survey: Survey, event_date: date) -> float:
    """Where an event sits on the wave axis: just before the first wave that opens on or after it."""
    for wave in survey.waves:
        if wave.opens_on >= event_date:
            return wave.number - 0.5
    return (survey.waves[-1].number + 0.5) if survey.waves else 0.5


def _event_marks(survey: Survey, events: Sequence, codes: Sequence[str], yref: str = "paper") -> tuple[list, list]:
    """Dashed vertical lines (and labels) for the events of the shown jurisdictions."""
    shapes, notes = [], []
    shown = set(codes)
    for event in events:
        if event.jurisdiction not in shown:
            continue
        x = event_position(survey, event.event_date)
        shapes.append({"type": "line", "x0": x, "x1": x, "y0": 0, "y1": 1, "xref": "x", "yref": yref,
                       "line": {"color": "#555555", "width": 1.5, "dash": "dash"}})
        arrow = "+" if event.direction > 0 else "-"
        notes.append({"x": x, "y": 1.02, "xref": "x", "yref": yref, "showarrow": False,
                      "text": f"{event.jurisdiction}: {event.kind.replace('_', ' ')} ({arrow})",
                      "textangle": -20, "font": {"size": 11}, "xanchor": "left", "yanchor": "bottom"})
    return shapes, notes


def responses_figure(survey: Survey, table: AggregateTable) -> dict:
    """Heatmap of responses per wave (x) and jurisdiction (y); suppressed cells left blank.

    ``table`` is ``aggregate(by=("jurisdiction", "wave"), margins=True)``.
    """
    codes, waves = list(table.axes[0][:-1]), list(table.axes[1][:-1])
    names = {j.code: j.name for j in survey.jurisdictions}
    n = table.grid("n")[:-1, :-1].astype(float)
    hidden = table.grid("suppressed")[:-1, :-1].astype(bool)
    z = [nullable(row, 0) for row in n]
    text = np.where(hidden, "suppressed (fewer than the minimum, or protecting one)",
                    np.char.add(np.nan_to_num(n).astype(int).astype(str), " responses")).tolist()
    trace = {"type": "heatmap", "x": waves, "y": [names.get(c, c) for c in codes], "z": z, "text": text,
             "hovertemplate": "%{y}, wave %{x}: %{text}<extra></extra>", "colorscale": "Blues",
             # No colorbar: plotly.js draws it with an inline style attribute, which our CSP refuses.
             # The counts are written in the cells instead (and are in the table / CSV download).
             "showscale": False, "xgap": 1, "ygap": 1}
    if len(codes) * len(waves) <= 600:
        trace["texttemplate"] = "%{z}"
    height = max(320, 28 * len(codes) + 140)
    return {"data": [trace], "layout": _layout("Responses per wave and jurisdiction", height=height,
                                               xaxis=_wave_axis(survey, waves), yaxis={"automargin": True})}


def _lines(labels: list, mean: np.ndarray, low: np.ndarray, high: np.ndarray, waves: list[int], *,
           axis: str = "", legend: bool = True) -> list[dict]:
    """One line per row of ``mean`` (rows: jurisdictions, None = all selected; columns: waves)."""
    traces = []
    # Intervals in the hover text while there are few lines; with hundreds they cost more than they show
    # (they stay in the aggregate downloads and the API).
    with_intervals = len(labels) <= INTERVAL_MAX_LINES
    for index, (label, y, lo, hi) in enumerate(zip(labels, mean, low, high, strict=True)):
        total = label == "All selected jurisdictions"
        color = "#1b1b1b" if total else PALETTE[index % len(PALETTE)]
        trace = {"type": "scatter", "mode": "lines+markers", "name": label, "x": waves, "y": nullable(y, 3),
                 "legendgroup": label, "showlegend": legend, "connectgaps": False,
                 "line": {"color": color, "width": 3 if total else 1.5},
                 "hovertemplate": f"{label}, wave %{{x}}: %{{y:.2f}}<extra></extra>"}
        if with_intervals:
            trace["customdata"] = [list(pair) for pair in zip(nullable(lo, 2), nullable(hi, 2), strict=True)]
            trace["hovertemplate"] = (f"{label}, wave %{{x}}: %{{y:.2f}} (95% CI %{{customdata[0]}}"
                                      "–%{customdata[1]})<extra></extra>")
        if axis:
            trace["xaxis"], trace["yaxis"] = f"x{axis}", f"y{axis}"
        traces.append(trace)
    return traces


def _names(survey: Survey, codes) -> list[str]:  # noqa: ANN001
    names = {j.code: j.name for j in survey.jurisdictions}
    return ["All selected jurisdictions" if c is None else names.get(c, c) for c in codes]


def scores_figure(survey: Survey, table: AggregateTable, measure: str, events: Sequence = ()) -> dict:
    """Mean scale score by wave, one line per jurisdiction, policy events as vertical dashed lines.

    ``table`` is ``aggregate(by=("jurisdiction", "wave"), margins=True)``.
    """
    codes, waves = list(table.axes[0][:-1]), list(table.axes[1][:-1])
    cut = (slice(None, -1), slice(None, -1))
    shapes, notes = _event_marks(survey, events, codes)
    data = _lines(_names(survey, codes), table.grid(f"{measure}_mean")[cut], table.grid(f"{measure}_ci_low")[cut],
                  table.grid(f"{measure}_ci_high")[cut], waves)
    return {"data": data,
            "layout": _layout(f"{MEASURE_LABELS[measure]} over time (mean, 1–5)", height=460,
                              xaxis=_wave_axis(survey, waves), yaxis={"title": {"text": "Mean score"}},
                              shapes=shapes, annotations=notes)}


def subgroup_figure(survey: Survey, table: AggregateTable, measure: str) -> dict:
    """Immigrant and non-immigrant respondents side by side (same y scale), lines per jurisdiction.

    ``table`` is ``aggregate(by=("wave", "jurisdiction", "immigrant"), margins=True)``; the
    jurisdiction margin is drawn as "All selected jurisdictions".
    """
    waves, codes, groups = list(table.axes[0][:-1]), list(table.axes[1]), list(table.axes[2])
    labels = _names(survey, codes)
    data = []
    for position, group in enumerate(("immigrant", "non_immigrant")):
        g = groups.index(group)
        part = [table.grid(f"{measure}_{k}")[:-1, :, g].T for k in ("mean", "ci_low", "ci_high")]
        data += _lines(labels, *part, waves, axis="" if position == 0 else "2", legend=position == 0)
    axis = _wave_axis(survey, waves)
    layout = _layout(f"{MEASURE_LABELS[measure]}: immigrant vs non-immigrant respondents", height=460,
                     xaxis={**axis, "domain": [0, 0.47]}, xaxis2={**axis, "domain": [0.53, 1], "anchor": "y2"},
                     yaxis={"title": {"text": "Mean score"}}, yaxis2={"anchor": "x2", "matches": "y"},
                     annotations=[
                         {"text": SUBGROUP_LABELS["immigrant"], "x": 0.235, "y": 1.0, "xref": "paper",
                          "yref": "paper", "showarrow": False, "yanchor": "bottom"},
                         {"text": SUBGROUP_LABELS["non_immigrant"], "x": 0.765, "y": 1.0, "xref": "paper",
                          "yref": "paper", "showarrow": False, "yanchor": "bottom"},
                     ])
    return {"data": data, "layout": layout}


def effects_figure(effects: list[dict]) -> dict:
    """Forest plot of the DiD, DDD and event-study estimates with their 95% intervals."""
    shown = [e for e in effects if e["estimate"] is not None and e["ci_low"] is not None]
    labels = [f"{e['outcome_label']} · {e['estimator'].replace('_', ' ').upper()}" for e in shown]
    trace = {"type": "scatter", "mode": "markers", "x": [e["estimate"] for e in shown], "y": labels,
             "marker": {"size": 10, "color": "#0072B2"},
             "error_x": {"type": "data", "symmetric": False,
                         "array": [e["ci_high"] - e["estimate"] for e in shown],
                         "arrayminus": [e["estimate"] - e["ci_low"] for e in shown]},
             "hovertemplate": "%{y}: %{x:.3f}<extra></extra>", "name": "Estimate (95% CI)"}
    zero = {"type": "line", "x0": 0, "x1": 0, "y0": 0, "y1": 1, "xref": "x", "yref": "paper",
            "line": {"color": "#555555", "dash": "dot"}}
    return {"data": [trace], "layout": _layout("Estimated policy effects (points on the 1–5 scale)",
                                               height=120 + 40 * max(1, len(shown)), shapes=[zero],
                                               xaxis={"title": {"text": "Effect"}, "zeroline": False},
                                               yaxis={"automargin": True}, showlegend=False)}


def event_study_figure(studies: dict) -> dict:
    """Leads and lags relative to the event (0 = first treated wave) with 95% intervals, per outcome."""
    data = []
    for index, (outcome, study) in enumerate(studies.items()):
        periods = [p for p in study["periods"] if p["estimate"] is not None]
        data.append({"type": "scatter", "mode": "lines+markers", "name": MEASURE_LABELS.get(outcome, outcome),
                     "x": [p["rel_time"] for p in periods], "y": [p["estimate"] for p in periods],
                     "line": {"color": PALETTE[index % len(PALETTE)]},
                     "error_y": {"type": "data", "symmetric": False,
                                 "array": [(p["ci_high"] or p["estimate"]) - p["estimate"] for p in periods],
                                 "arrayminus": [p["estimate"] - (p["ci_low"] or p["estimate"]) for p in periods]}})
    shapes = [{"type": "line", "x0": -0.5, "x1": -0.5, "y0": 0, "y1": 1, "xref": "x", "yref": "paper",
               "line": {"color": "#555555", "dash": "dash"}},
              {"type": "line", "x0": 0, "x1": 1, "y0": 0, "y1": 0, "xref": "paper", "yref": "y",
               "line": {"color": "#999999", "dash": "dot"}}]
    return {"data": data, "layout": _layout("Event study: effect by waves since the policy event", height=420,
                                            shapes=shapes, xaxis={"title": {"text": "Waves relative to the event"},
                                                                  "dtick": 1},
                                            yaxis={"title": {"text": "Effect"}})}
