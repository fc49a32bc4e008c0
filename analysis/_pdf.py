"""PDF rendering for :mod:`analysis.report` (reportlab; figures via matplotlib).

Chosen because it works offline and needs no browser: weasyprint would pull
pango and friends, and plotly's static export needs a browser (kaleido).
"""

from __future__ import annotations

import html
import io
import os

import numpy as np

from .report import _event_frame, _title, fmt, sections


def _png_figure(r) -> bytes:
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6.5, 3.0), dpi=150)
    ax = fig.add_subplot()
    d = _event_frame(r)
    for i, (name, g) in enumerate(d.groupby("series", sort=False)):
        x = g["rel_time"].astype(float).to_numpy() + 0.12 * i
        y = g["estimate"].to_numpy(dtype=float)
        err = np.vstack([y - g["ci_low"].to_numpy(float), g["ci_high"].to_numpy(float) - y])
        ax.errorbar(x, y, yerr=err, fmt="o", capsize=2, label=name)
    ax.axhline(0, color="grey", lw=0.8, ls=":")
    ax.axvline(-0.5, color="grey", lw=0.8, ls="--")
    ax.set_xlabel("waves relative to the event")
    ax.set_ylabel(f"effect on {r.spec['outcome']}")
    ax.legend(frameon=False, fontsize=8)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()


def write_pdf(obj, path) -> None:
    """Write ``obj`` as a PDF with reportlab (tables, verdict, event-study figure)."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.lib.units import cm
    from reportlab.platypus import (
        Image,
        Paragraph,
        SimpleDocTemplate,
        Spacer,
        Table,
        TableStyle,
    )

    styles = getSampleStyleSheet()
    small = styles["BodyText"].clone("small", fontSize=7.5, leading=9)
    story = [Paragraph(html.escape(_title(obj)), styles["Title"])]
    tstyle = TableStyle([("FONTSIZE", (0, 0), (-1, -1), 7.5), ("LEADING", (0, 0), (-1, -1), 9),
                         ("LINEBELOW", (0, 0), (-1, 0), 0.5, colors.grey),
                         ("ALIGN", (1, 0), (-1, -1), "RIGHT"),
                         ("VALIGN", (0, 0), (-1, -1), "TOP")])
    for s in sections(obj):
        story.append(Paragraph(html.escape(s.title), styles["Heading3"]))
        if s.kind == "figure":
            story.append(Image(io.BytesIO(_png_figure(s.payload)), width=16 * cm,
                               height=7.4 * cm))
        elif s.kind == "kv":
            rows = [[Paragraph(html.escape(str(k)), small),
                     Paragraph(html.escape(fmt(v, str(k))), small)] for k, v in s.payload]
            story.append(Table(rows, colWidths=[5 * cm, 12 * cm], style=tstyle, hAlign="LEFT"))
        elif s.kind == "table":
            t = s.payload
            if len(t) > 60:
                t = t.head(60)
            rows = [list(map(str, t.columns))] + [list(map(str, r)) for r in t.itertuples(
                index=False)]
            story.append(Table(rows, style=tstyle, hAlign="LEFT", repeatRows=1))
        elif s.kind == "list":
            for x in s.payload:
                story.append(Paragraph("&bull; " + html.escape(str(x)), small))
        elif s.kind == "verdict":
            word, text = s.payload
            story.append(Paragraph(f"<b>{html.escape(word.upper())}</b>: {html.escape(text)}",
                                   styles["BodyText"]))
        else:
            story.append(Paragraph(html.escape(str(s.payload)), styles["BodyText"]))
        story.append(Spacer(1, 0.2 * cm))
    doc = SimpleDocTemplate(os.fspath(path), pagesize=A4, title=_title(obj),
                            leftMargin=1.8 * cm, rightMargin=1.8 * cm, topMargin=1.6 * cm,
                            bottomMargin=1.6 * cm)
    doc.build(story)
