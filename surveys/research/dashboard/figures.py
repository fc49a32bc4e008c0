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

from analysis.values import finite_or_none

from ...models import Survey
from ...publication.aggregates import AggregateTable

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
    return [finite_or_none(v) for v in np.round(np.asarray(values, dtype=float), digits).tolist()]


def _layout(title: str, **extra: object) -> dict:
    layout = {"title": {"text": title}, "font": FONT, "margin": {"l": 60, "r": 20, "t": 60, "b": 50},
              "hovermode": "closest", "legend": {"orientation": "h", "y": -0.2}}
    layout.update(extra)
    return layout


def _wave_axis(survey: Survey, waves: Sequence[int], title: str = "Wave") -> dict:
    labels = {w.number: w.label for w in survey.waves}
    return {"title": {"text": title}, "automargin": True, "tickmode": "array", "tickvals": list(waves),
            "ticktext": [labels.get(n, str(n)) for n in waves]}


def event_position(survey: Survey, event_date: date) -> float:
    """Where an event sits on the wave axis: just before the first wave that opens on or after it."""
    for wave in survey.waves:
        if wave.opens_on >= event_date:
            return wave.number - 0.5
    return (survey.waves[-1].number + 0.5) if survey.waves else 0.5


EventMark = tuple[str, float | None, object]  # ("E1", position on the wave axis or None, the event)


def shown_events(survey: Survey, events: Sequence, codes: Sequence, waves: Sequence[int]) -> list[EventMark]:
    """The events of the shown places, numbered ("E1", "E2"...) by date, each with its position on the axis.

    The position comes from the event's date against the survey's waves (not the shown ones), so a
    wave filter never moves a marker; an event outside the shown waves gets ``None`` (listed, not drawn).
    """
    shown = {c for c in codes if c is not None} or {j.code for j in survey.jurisdictions}
    low, high = (min(waves) - 0.5, max(waves) + 0.5) if waves else (0.0, -1.0)
    chosen = sorted((e for e in events if e.jurisdiction in shown), key=lambda e: (e.event_date, e.jurisdiction))
    out: list[EventMark] = []
    for index, event in enumerate(chosen, start=1):
        x = event_position(survey, event.event_date)
        out.append((f"E{index}", x if low <= x <= high else None, event))
    return out


def _event_marks(marks: Sequence[EventMark]) -> tuple[list, list]:
    """One dashed line per position and one label listing the events there ("E1, E2"), inside the plot."""
    at: dict[float, list[str]] = {}
    for label, x, _ in marks:
        if x is not None:
            at.setdefault(x, []).append(label)
    shapes, notes = [], []
    for x, labels in sorted(at.items()):
        shapes.append({"type": "line", "x0": x, "x1": x, "y0": 0, "y1": 1, "xref": "x", "yref": "paper",
                       "line": {"color": "#555555", "width": 1.5, "dash": "dash"}})
        notes.append({"x": x, "y": 1, "xref": "x", "yref": "paper", "showarrow": False, "yanchor": "top",
                      "text": "<br>".join(labels), "font": {"size": 12}, "bgcolor": "#ffffff",
                      "bordercolor": "#555555", "borderwidth": 1, "borderpad": 2})
    return shapes, notes


# Sequential, light (0) to dark (most): the ColorBrewer "Blues" ends. plotly.js's own "Blues" runs dark to light.
HEAT_LOW, HEAT_HIGH = "#f7fbff", "#08306b"
SUPPRESSED_COLOUR = "#bdbdbd"


def responses_figure(survey: Survey, table: AggregateTable) -> dict:
    """Heatmap of responses per wave (x) and jurisdiction (y); suppressed cells grey and labelled.

    The legend (0 to the largest count, and the suppressed swatch) is HTML beside the figure:
    plotly.js draws its colour bar with inline styles, which the Content-Security-Policy refuses.

    ``table`` is ``aggregate(by=("jurisdiction", "wave"), margins=True)``.
    """
    codes, waves = list(table.axes[0][:-1]), list(table.axes[1][:-1])
    names = {j.code: j.name for j in survey.jurisdictions}
    n = table.grid("n")[:-1, :-1].astype(float)
    hidden = table.grid("suppressed")[:-1, :-1].astype(bool)
    z = [nullable(row, 0) for row in n]
    text = np.where(hidden, "suppressed (fewer than the minimum, or protecting one)",
                    np.char.add(np.nan_to_num(n).astype(int).astype(str), " responses")).tolist()
    rows = [names.get(c, c) for c in codes]
    top = float(np.nanmax(np.where(hidden, np.nan, n))) if (~hidden).any() else 0.0
    trace = {"type": "heatmap", "x": waves, "y": rows, "z": z, "text": text,
             "hovertemplate": "%{y}, wave %{x}: %{text}<extra></extra>",
             "colorscale": [[0, HEAT_LOW], [1, HEAT_HIGH]], "zmin": 0, "zmax": max(top, 1.0),
             "showscale": False, "xgap": 1, "ygap": 1, "name": "Responses"}
    veil = {"type": "heatmap", "x": waves, "y": rows, "z": [[1 if h else None for h in row] for row in hidden.tolist()],
            "colorscale": [[0, SUPPRESSED_COLOUR], [1, SUPPRESSED_COLOUR]], "showscale": False, "xgap": 1, "ygap": 1,
            "hovertemplate": "%{y}, wave %{x}: suppressed<extra></extra>", "name": "Suppressed"}
    if len(codes) * len(waves) <= 600:
        trace["texttemplate"] = "%{z}"
        # The word where there is room for it (few waves); with many a dash (the legend says what grey means).
        veil["texttemplate"] = "suppressed" if len(waves) <= 5 else "–"
        veil["textfont"] = {"color": "#1b1b1b", "size": 11}
    height = max(320, 28 * len(codes) + 140)
    return {"data": [trace, veil], "layout": _layout("Responses per wave and jurisdiction", height=height,
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


def _names(survey: Survey, codes) -> list[str]:
    names = {j.code: j.name for j in survey.jurisdictions}
    return ["All selected jurisdictions" if c is None else names.get(c, c) for c in codes]


def scores_figure(survey: Survey, table: AggregateTable, measure: str,
                  marks: Sequence[EventMark] = ()) -> dict:
    """Mean scale score by wave, one line per jurisdiction, policy events as vertical dashed lines.

    ``table`` is ``aggregate(by=("jurisdiction", "wave"), margins=True)``.
    """
    codes, waves = list(table.axes[0][:-1]), list(table.axes[1][:-1])
    cut = (slice(None, -1), slice(None, -1))
    shapes, notes = _event_marks(marks)
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
        mean, low, high = (table.grid(f"{measure}_{k}")[:-1, :, g].T for k in ("mean", "ci_low", "ci_high"))
        data += _lines(labels, mean, low, high, waves, axis="" if position == 0 else "2", legend=position == 0)
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
                                            shapes=shapes,
                                            xaxis={"title": {"text": "Waves relative to the event (base: wave -1)"},
                                                   "dtick": 1},
                                            yaxis={"title": {"text": "Effect"}})}
