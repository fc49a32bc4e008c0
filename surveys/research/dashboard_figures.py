"""Plotly figures for the dashboard, built as plain dicts from suppressed aggregate tables.

Plain dicts (not ``plotly.graph_objects``) because validation of a figure with
hundreds of traces costs more than the database query behind it; the JSON is
the documented plotly.js figure format. Suppressed cells arrive as NaN and
become gaps (``null``), never zeros, and their hover text says "suppressed".
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date

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
FONT = {"family": "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif", "size": 13}


def _value(x: object) -> float | None:
    return None if x is None or (isinstance(x, float) and math.isnan(x)) else float(x)  # type: ignore[arg-type]


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


def _event_marks(survey: Survey, codes: Sequence[str], yref: str = "paper") -> tuple[list, list]:
    shapes, notes = [], []
    for jurisdiction in survey.jurisdictions:
        if jurisdiction.code not in codes:
            continue
        for event in jurisdiction.policy_events:
            x = event_position(survey, event.event_date)
            shapes.append({"type": "line", "x0": x, "x1": x, "y0": 0, "y1": 1, "xref": "x", "yref": yref,
                           "line": {"color": "#555555", "width": 1.5, "dash": "dash"}})
            arrow = "+" if event.direction > 0 else "-"
            notes.append({"x": x, "y": 1.02, "xref": "x", "yref": yref, "showarrow": False,
                          "text": f"{jurisdiction.code}: {event.kind.replace('_', ' ')} ({arrow})",
                          "textangle": -20, "font": {"size": 11}, "xanchor": "left", "yanchor": "bottom"})
    return shapes, notes


def responses_figure(survey: Survey, table: AggregateTable) -> dict:
    """Heatmap of responses per wave (x) and jurisdiction (y); suppressed cells left blank."""
    frame = table.frame
    waves = sorted({int(w) for w in frame["wave"]})
    codes = list(dict.fromkeys(frame["jurisdiction"]))
    names = {j.code: j.name for j in survey.jurisdictions}
    z, text = [], []
    lookup = {(int(r.wave), r.jurisdiction): (r.n, bool(r.suppressed)) for r in frame.itertuples(index=False)}
    for code in codes:
        row_z, row_t = [], []
        for wave in waves:
            n, hidden = lookup.get((wave, code), (0.0, False))
            row_z.append(None if hidden else _value(n))
            row_t.append("suppressed (fewer than the minimum, or protecting one)" if hidden else f"{int(n)} responses")
        z.append(row_z)
        text.append(row_t)
    trace = {"type": "heatmap", "x": waves, "y": [names.get(c, c) for c in codes], "z": z, "text": text,
             "hovertemplate": "%{y}, wave %{x}: %{text}<extra></extra>", "colorscale": "Blues",
             "colorbar": {"title": {"text": "Responses"}}, "xgap": 1, "ygap": 1}
    height = max(320, 28 * len(codes) + 140)
    return {"data": [trace], "layout": _layout("Responses per wave and jurisdiction", height=height,
                                               xaxis=_wave_axis(survey, waves), yaxis={"automargin": True})}


def _lines(frame, measure: str, codes: Sequence[str], names: dict, waves: list[int], *, axis: str = "",
           legend: bool = True) -> list[dict]:
    traces = []
    for index, code in enumerate(codes):
        rows = frame[frame["jurisdiction"] == code]
        by_wave = {int(r.wave): r for r in rows.itertuples(index=False)}
        y, low, high = [], [], []
        for wave in waves:
            row = by_wave.get(wave)
            mean = _value(getattr(row, f"{measure}_mean")) if row is not None else None
            y.append(mean)
            low.append(_value(getattr(row, f"{measure}_ci_low")) if row is not None else None)
            high.append(_value(getattr(row, f"{measure}_ci_high")) if row is not None else None)
        label = "All selected jurisdictions" if code is None else names.get(code, code)
        color = "#1b1b1b" if code is None else PALETTE[index % len(PALETTE)]
        trace = {"type": "scatter", "mode": "lines+markers", "name": label, "x": waves, "y": y,
                 "legendgroup": label, "showlegend": legend, "connectgaps": False,
                 "line": {"color": color, "width": 3 if code is None else 1.5},
                 "customdata": [[lo, hi] for lo, hi in zip(low, high, strict=True)],
                 "hovertemplate": f"{label}, wave %{{x}}: %{{y:.2f}} (95% CI %{{customdata[0]:.2f}}"
                                  "–%{customdata[1]:.2f})<extra></extra>"}
        if axis:
            trace["xaxis"], trace["yaxis"] = f"x{axis}", f"y{axis}"
        traces.append(trace)
    return traces


def scores_figure(survey: Survey, table: AggregateTable, measure: str) -> dict:
    """Mean scale score by wave, one line per jurisdiction, policy events as vertical dashed lines."""
    frame = table.frame
    waves = sorted({int(w) for w in frame["wave"]})
    codes = list(dict.fromkeys(frame["jurisdiction"]))
    names = {j.code: j.name for j in survey.jurisdictions}
    shapes, notes = _event_marks(survey, codes)
    return {"data": _lines(frame, measure, codes, names, waves),
            "layout": _layout(f"{MEASURE_LABELS[measure]} over time (mean, 1–5)", height=460,
                              xaxis=_wave_axis(survey, waves), yaxis={"title": {"text": "Mean score"}},
                              shapes=shapes, annotations=notes)}


def subgroup_figure(survey: Survey, table: AggregateTable, measure: str) -> dict:
    """Immigrant and non-immigrant respondents side by side (same y scale), lines per jurisdiction."""
    frame = table.frame
    waves = sorted({int(w) for w in frame["wave"] if w is not None})
    frame = frame[frame["wave"].notna()]
    codes = list(dict.fromkeys(frame["jurisdiction"]))  # includes None: all selected
    names = {j.code: j.name for j in survey.jurisdictions}
    data = []
    for position, group in enumerate(("immigrant", "non_immigrant")):
        part = frame[frame["immigrant"] == group]
        data += _lines(part, measure, codes, names, waves, axis="" if position == 0 else "2", legend=position == 0)
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
