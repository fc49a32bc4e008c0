"""One p-value per estimate, with its method named beside it, in every section (issue 13).

Demo reports (DiD, DDD, event study headlines on simulated staggered data) are
rendered as text and HTML and read back the way a reader would: every row
that shows an estimate with its standard error and a p-value is collected, from
the headline and from every component section, and each estimate (its printed
value and standard error) must carry the same p-value everywhere, with a method
named beside every p-value in a table.
"""
from __future__ import annotations

import re
from collections import defaultdict
from html.parser import HTMLParser

import pytest

from analysis import report
from analysis.pipeline import study_report
from analysis.simulate import simulate


@pytest.fixture(scope="module")
def data():
    return simulate(n_jurisdictions=10, n_waves=6, responses_per_cell=30, seed=14)


@pytest.fixture(scope="module", params=["did", "ddd", "event_study"])
def demo_report(request, data):
    subgroup = "immigrant" if request.param == "ddd" else None
    return study_report(data, "trust", treated="treated", post="post", unit="jurisdiction",
                        time="wave", first_treated="first_treated", subgroup=subgroup,
                        headline=request.param, expected_sign=-1, n_boot=199, sesoi=0.2)


# ---------------------------------------------------------------- reading text
def _cell_ending_at(line: str, end: int) -> str:
    """The right-aligned cell whose last character is at ``end`` (pandas ``to_string``)."""
    hit = re.search(r"(\S+)$", line[:end])
    return hit.group(1) if hit and len(line) >= end else ""


def text_rows(text: str) -> list[dict[str, str]]:
    """Each table row with an estimate: {"estimate", "se", "p", "method"} as printed."""
    rows: list[dict[str, str]] = []
    blocks = re.split(r"\n\n", text)
    for block in blocks:
        lines = block.split("\n")
        if len(lines) < 3 or not set(lines[1]) <= {"-"}:
            continue
        title, body = lines[0], lines[2:]
        header = body[0]
        if title == "Headline estimate":
            kv = {}
            for ln in body:
                label = "Std. error" if ln.startswith("Std. error") else ln.split()[0]
                kv[label] = ln[len(label):].strip()
            p, _, method = kv["p-value"].partition(" ")
            rows.append({"where": title, "estimate": kv["Estimate"], "se": kv["Std. error"],
                         "p": p, "method": method})
            continue
        if "Estimate" not in header or "p-value" not in header:
            continue
        ends = {name: header.index(name) + len(name)
                for name in ("Estimate", "Std. error", "p-value", "p-value method") if name in header}
        for line in body[1:]:
            est = _cell_ending_at(line, ends["Estimate"])
            p = _cell_ending_at(line, ends["p-value"])
            if not est or not p:
                continue
            method = line[ends["p-value"]:ends.get("p-value method", ends["p-value"])].strip()
            rows.append({"where": title, "estimate": est, "p": p, "method": method,
                         "se": _cell_ending_at(line, ends["Std. error"]) if "Std. error" in ends else ""})
    return rows


# ---------------------------------------------------------------- reading HTML
class _Tables(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tables: list[tuple[str, list[list[str]]]] = []
        self._title = ""
        self._in: str | None = None
        self._text = ""
        self._row: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        if tag in ("h2", "td", "th"):
            self._in, self._text = tag, ""
        elif tag == "table":
            self.tables.append((self._title, []))
        elif tag == "tr":
            self._row = []

    def handle_endtag(self, tag):
        if tag == "h2" and self._in == "h2":
            self._title, self._in = self._text.strip(), None
        elif tag in ("td", "th") and self._row is not None:
            self._row.append(self._text.strip())
            self._in = None
        elif tag == "tr" and self._row is not None:
            self.tables[-1][1].append(self._row)
            self._row = None

    def handle_data(self, data):
        if self._in:
            self._text += data


def html_rows(page: str) -> list[dict[str, str]]:
    parser = _Tables()
    parser.feed(page)
    rows: list[dict[str, str]] = []
    for title, table in parser.tables:
        if not table:
            continue
        header = table[0]
        if title == "Headline estimate":
            kv = {r[0]: r[1] for r in table if len(r) == 2}
            p, _, method = kv["p-value"].partition(" ")
            rows.append({"where": title, "estimate": kv["Estimate"], "se": kv["Std. error"],
                         "p": p, "method": method})
            continue
        if "Estimate" not in header or "p-value" not in header:
            continue
        col = {name: header.index(name) for name in header}
        for r in table[1:]:
            if not r[col["p-value"]]:
                continue
            rows.append({"where": title, "estimate": r[col["Estimate"]], "p": r[col["p-value"]],
                         "se": r[col["Std. error"]] if "Std. error" in col else "",
                         "method": r[col["p-value method"]] if "p-value method" in col else ""})
    return rows


def check(rows: list[dict[str, str]]) -> None:
    seen: dict[tuple[str, str], set[str]] = defaultdict(set)
    where: dict[tuple[str, str], list[str]] = defaultdict(list)
    for r in rows:
        key = (r["estimate"], r["se"])
        seen[key].add(r["p"])
        where[key].append(f"{r['where']}: p = {r['p']}")
        assert r["method"], f"no method named beside p = {r['p']} in {r['where']}"
    doubled = {k: where[k] for k, ps in seen.items() if len(ps) > 1}
    assert not doubled, f"estimates shown with two p-values: {doubled}"


def test_each_estimate_has_one_p_value_in_text(demo_report) -> None:
    rows = text_rows(report.render_bytes(demo_report, "txt").decode())
    assert any(r["where"] == "Headline estimate" for r in rows)
    assert len({r["where"] for r in rows}) >= 3  # the headline and component sections were read
    check(rows)


def test_each_estimate_has_one_p_value_in_html(demo_report) -> None:
    rows = html_rows(report.render_bytes(demo_report, "html").decode())
    assert any(r["where"] == "Headline estimate" for r in rows)
    assert len({r["where"] for r in rows}) >= 3
    check(rows)


def test_the_check_catches_a_second_p_value() -> None:
    """The reader is not vacuous: the same estimate with two p-values is caught."""
    rows = [{"where": "A", "estimate": "-0.074", "se": "0.080", "p": "0.482", "method": "wild"},
            {"where": "B", "estimate": "-0.074", "se": "0.080", "p": "0.379", "method": "cluster"}]
    with pytest.raises(AssertionError, match="two p-values"):
        check(rows)


# ---------------------------------------------------------------- human headers
RAW_NAME = re.compile(r"^[a-z]+(_[a-z]+)+$")


class _HeaderCells(HTMLParser):
    """Every ``<th>``: column headers of tables and the labels heading key-value rows."""

    def __init__(self) -> None:
        super().__init__()
        self.cells: list[str] = []
        self._text: str | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "th":
            self._text = ""

    def handle_endtag(self, tag):
        if tag == "th" and self._text is not None:
            self.cells.append(self._text.strip())
            self._text = None

    def handle_data(self, data):
        if self._text is not None:
            self._text += data


def html_header_cells(page: str) -> list[str]:
    parser = _HeaderCells()
    parser.feed(page)
    return parser.cells


def text_header_cells(text: str, result) -> list[str]:
    """Header words of each table and the labels of each key-value section, as printed."""
    cells: list[str] = []
    for s in report.sections(result):
        if s.kind not in ("table", "kv"):
            continue
        head = f"\n{s.title}\n{'-' * len(s.title)}\n"
        assert head in text, s.title
        body = text.split(head, 1)[1].split("\n\n", 1)[0].split("\n")
        if s.kind == "table":
            cells += body[0].split()  # labels are words; a raw name is one token
        else:
            cells += [re.split(r"\s{2,}", line.strip())[0] for line in body if line.strip()]
    return cells


def test_headers_are_human_labels_in_text(demo_report) -> None:
    text = report.render_bytes(demo_report, "txt").decode()
    cells = text_header_cells(text, demo_report)
    assert "Pre-trend p-value" in text and "Share" in cells  # the composition table was read
    assert [c for c in cells if RAW_NAME.match(c)] == []


def test_headers_are_human_labels_in_html(demo_report) -> None:
    cells = html_header_cells(report.render_bytes(demo_report, "html").decode())
    assert "Pre-trend p-value" in cells and "p-value method" in cells and len(cells) > 40
    assert [c for c in cells if RAW_NAME.match(c)] == []


def test_json_keeps_its_keys(demo_report) -> None:
    """Labels are for readers: the JSON contract keeps the column names."""
    page = report.render_bytes(demo_report, "json").decode()
    assert '"pretrend_p"' in page and '"share"' in page and '"p_value"' in page
    assert "Pre-trend p-value" not in page


def test_header_readers_catch_a_raw_name() -> None:
    """The readers are not vacuous: a raw column name in a header is found."""
    assert html_header_cells("<table><tr><th>pretrend_p</th><th>Share</th></tr></table>") == [
        "pretrend_p", "Share"]
    assert RAW_NAME.match("pretrend_p") and not RAW_NAME.match("p-value method")


def test_header_label_maps_then_spells_out_raw_names() -> None:
    from analysis.sections import header_label

    assert header_label("pretrend_p") == "Pre-trend p-value"
    assert header_label("respondents") == "Respondents" and header_label("share") == "Share"
    assert header_label("rows_by_reason") == "Rows by reason"
    assert header_label("p-value method") == "p-value method"  # already words: kept
    assert header_label("Hispanic or Latino") == "Hispanic or Latino"
