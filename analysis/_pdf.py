"""PDF layout for :mod:`analysis.document` (reportlab; figures via matplotlib).

It lays out sections and knows nothing of section kinds or results: each section
draws itself with the primitives of :class:`Kit` (a paragraph, a key-value
list, a table, a figure). A section that fits on a page is kept whole; a table
longer than a page breaks between rows and repeats its header row.

Chosen because it works offline and needs no browser: weasyprint would pull
pango and friends, and plotly's static export needs a browser (kaleido).
"""

from __future__ import annotations

import html
import io
from collections.abc import Sequence
from typing import Any

import numpy as np


def _png_figure(figure: Any) -> bytes:
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6.5, 3.0), dpi=150)
    ax = fig.add_subplot()
    names = dict(figure.names or {})
    for i, (name, g) in enumerate(figure.frame.groupby("series", sort=False)):
        x = g["rel_time"].astype(float).to_numpy() + 0.12 * i
        y = g["estimate"].to_numpy(dtype=float)
        err = np.vstack([y - g["ci_low"].to_numpy(float), g["ci_high"].to_numpy(float) - y])
        ax.errorbar(x, y, yerr=err, fmt="o", capsize=2, label=names.get(name, name))
    ax.axhline(0, color="grey", lw=0.8, ls=":")
    ax.axvline(-0.5, color="grey", lw=0.8, ls="--")
    ax.set_xlabel(figure.x_label, fontsize=8)
    ax.set_ylabel(figure.y_label, fontsize=8)
    ax.tick_params(labelsize=8)
    ax.legend(frameon=False, fontsize=8)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()


class Kit:
    """The drawing primitives a section uses (styles fixed here, once for the document)."""

    def __init__(self) -> None:
        from reportlab.lib import colors
        from reportlab.lib.styles import getSampleStyleSheet
        from reportlab.platypus import TableStyle

        styles = getSampleStyleSheet()
        self.styles = styles
        self.body = styles["BodyText"]
        self.small = styles["BodyText"].clone("small", fontSize=7.5, leading=9)
        self.cell = styles["BodyText"].clone("cell", fontSize=7.5, leading=9, alignment=2)
        self.head = styles["BodyText"].clone("head", fontSize=7.5, leading=9, alignment=2,
                                             fontName="Helvetica-Bold")
        self.style = TableStyle([("FONTSIZE", (0, 0), (-1, -1), 7.5),
                                 ("LEADING", (0, 0), (-1, -1), 9),
                                 ("LINEBELOW", (0, 0), (-1, 0), 0.5, colors.grey),
                                 ("LINEBELOW", (0, -1), (-1, -1), 0.5, colors.grey),
                                 ("VALIGN", (0, 0), (-1, -1), "TOP"),
                                 ("TOPPADDING", (0, 0), (-1, -1), 1.5),
                                 ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5)])
        self.kv_style = TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"),
                                    ("TOPPADDING", (0, 0), (-1, -1), 1.5),
                                    ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5)])

    def paragraph(self, markup: str, small: bool = False):
        from reportlab.platypus import Paragraph

        return Paragraph(markup, self.small if small else self.body)

    def key_values(self, rows: Sequence[tuple[str, str]]):
        from reportlab.lib.units import cm
        from reportlab.platypus import Paragraph, Table

        cells = [[Paragraph(html.escape(k), self.small), Paragraph(html.escape(v), self.small)]
                 for k, v in rows]
        return Table(cells, colWidths=[5 * cm, 12.4 * cm], style=self.kv_style, hAlign="LEFT")

    def table(self, rows: list[list[str]]):
        """A table at most the page's width: text columns wrap, numbers align right."""
        from reportlab.lib.units import cm
        from reportlab.pdfbase.pdfmetrics import stringWidth
        from reportlab.platypus import Paragraph, Table

        width, pad = 17.4 * cm, 13.0  # the page's text width; cell padding 6 pt each side

        def wide(text: str, bold: bool = False) -> float:
            return stringWidth(text, "Helvetica-Bold" if bold else "Helvetica", 7.5) + pad

        n = len(rows[0])
        # a column is at least as wide as the longest word of its header (headers wrap between
        # words, never inside one) and at most as wide as its longest cell
        least = [max(wide(w, True) for w in (str(rows[0][i]).split() or [""])) for i in range(n)]
        natural = [max([least[i]] + [wide(str(r[i])) for r in rows[1:]]) for i in range(n)]
        if sum(natural) > width:  # give the room left after the minimums in proportion to need
            spare = max(width - sum(least), 0)
            need = [b - a for a, b in zip(least, natural, strict=True)]
            widths = [a + spare * d / (sum(need) or 1) for a, d in zip(least, need, strict=True)]
        else:
            widths = natural
        left = self.small
        out = [[Paragraph(html.escape(str(c)), left if i == 0 else self.head)
                for i, c in enumerate(rows[0])]]
        out += [[Paragraph(html.escape(str(c)), left if i == 0 else self.cell)
                 for i, c in enumerate(r)] for r in rows[1:]]
        return Table(out, colWidths=widths, style=self.style, hAlign="LEFT", repeatRows=1)

    def figure(self, figure: Any):
        from reportlab.lib.units import cm
        from reportlab.platypus import Image

        return Image(io.BytesIO(_png_figure(figure)), width=16 * cm, height=7.4 * cm)


def write_pdf(title: str, sections: Sequence[Any], target) -> None:
    """Write ``sections`` as a PDF to ``target`` (a binary buffer)."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import cm
    from reportlab.platypus import KeepTogether, Paragraph, SimpleDocTemplate, Spacer

    kit = Kit()
    story: list = [Paragraph(html.escape(title), kit.styles["Title"])]
    for s in sections:
        drawn = s.drawn.pdf(s.payload, kit)
        if not drawn:
            continue
        block = [Paragraph(html.escape(s.title), kit.styles["Heading3"]), *drawn,
                 Spacer(1, 0.2 * cm)]
        story.append(KeepTogether(block))  # whole on one page when it fits; else split by rows
    doc = SimpleDocTemplate(target, pagesize=A4, title=title,
                            leftMargin=1.8 * cm, rightMargin=1.8 * cm, topMargin=1.6 * cm,
                            bottomMargin=1.6 * cm)
    doc.build(story)
