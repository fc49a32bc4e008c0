"""Regression reports for download: a chosen specification, run and rendered by ``analysis``.

The web side only assembles the data and the specification: cell means by
jurisdiction x wave (x immigrant background) from ``aggregates.model_cells``,
treatment timing from the policy events (``studies.events``), the comparison
jurisdictions the researcher picked. ``analysis.pipeline.study_report`` runs
DiD (and DDD, and the event study) and judges the claim; ``analysis.report``
renders HTML (self-contained, plotly.js inline), PDF, LaTeX or JSON with the
specification, sample sizes, data fingerprint, package versions and the
plain-language verdict with its caveats.

The respondent count shown in a report comes from ``aggregates.aggregate``
like every other published count, so it is suppressed when the selection
would reveal a small group. The design-cell tables inside the report ("N by
group": treated x post (x immigrant) cells, or adoption cohorts) get the same
small-cell rule, with complementary suppression over their published total:
a cell of fewer respondents than the survey's minimum shows neither its count
nor its mean.

When police records have been imported for the survey, the report ends with
the stated-vs-actual comparison (``stated_actual``): the survey's effect on
willingness beside the records' effect on reports, with the sentence on
whether they agree. It shows model estimates only, no respondent group.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import pandas as pd

from analysis import report as rendering
from analysis.disclosure import suppress
from analysis.pipeline import Report, study_report
from analysis.sections import Section

from ..models import Researcher, Survey
from ..studies.events import dominant_direction, treatment_timing
from ..studies.instrument_store import parsed_instrument
from ..studies.wave_versions import version_notes
from . import margins, plans, stated_actual
from .aggregates import MEASURES, Filters, aggregate, model_cells
from .estimates import design_frame
from .exports import ExportFile
from .hypothesis import hypothesis
from .output_check import check_results, rules
from .releases import protected_cube

REPORT_FORMATS = {
    "html": ("text/html; charset=utf-8", "html"),
    "pdf": ("application/pdf", "pdf"),
    "tex": ("application/x-tex; charset=utf-8", "tex"),
    "json": ("application/json", "json"),
}
ESTIMATORS = ("did", "ddd", "event_study")
SUBGROUPS = ("all", "immigrant", "non_immigrant")
WEIGHTS = ("responses", "cells", "raked")
ESTIMATOR_LABELS = {"did": "difference-in-differences (Callaway-Sant'Anna headline with staggered timing)",
                    "ddd": "triple differences (immigrant vs other respondents)", "event_study": "event study"}
WEIGHT_LABELS = {"responses": "cells weighted by their responses", "cells": "each jurisdiction-wave cell equally",
                 "raked": "raking weights to the uploaded population margins"}
SUBGROUP_LABELS = {"all": "everyone", "immigrant": "immigrant background only",
                   "non_immigrant": "no immigrant background only"}


@dataclass(frozen=True, eq=False, repr=False)
class SurveyReport(Report):
    """The analysis package's report, with the web specification shown next to its verdict."""

    def sections(self):
        base = super().sections()
        spec = self.meta.get("specification", {})
        rows = [("Survey", self.meta.get("survey")), ("Outcome", spec.get("outcome")),
                ("Estimator", ESTIMATOR_LABELS.get(spec.get("estimator"), spec.get("estimator"))),
                ("Respondents", SUBGROUP_LABELS.get(spec.get("subgroup"), spec.get("subgroup"))),
                ("Jurisdictions analysed", ", ".join(self.meta.get("jurisdictions", []))),
                ("Comparison jurisdictions", ", ".join(spec.get("comparison") or []) or "every one without an event"),
                ("Weights", self.meta.get("weights_sentence") or WEIGHT_LABELS.get(spec.get("weights"))),
                ("Inference (headline)", (self.headline or {}).get("inference")
                 or f"clustered by {spec.get('cluster')}"),
                ("Events", "more entanglement of police with immigration enforcement"
                 if self.meta.get("direction", -1) < 0 else "less entanglement of police with immigration enforcement"),
                ("Jurisdiction-wave cells analysed", self.meta.get("cells_analysed"))]
        search = self.meta.get("search") or {}
        reg = [("Status", search.get("registration")),
               ("Specifications of this outcome run on this survey", search.get("sentence")),
               ("Holm-adjusted p-value", search.get("holm_p")),
               ("Family of outcomes", ", ".join(search.get("family") or [])),
               ("Tests in the family (specifications run, outcomes not yet run)", search.get("family_tests"))]
        extra = [Section("Specification", "kv", rows)]
        if search:
            extra.append(Section("Pre-registration and specification search", "kv",
                                           [(k, v) for k, v in reg if v is not None]))
            extra.append(Section("Deviations from the plan", "list",
                                           search.get("deviations") or ["none"]))
        at = next((i for i, s in enumerate(base) if s.title == "Caveats"), 3)
        extra.append(Section("Disclosure control", "list", list(self.meta.get("disclosure_rules", []))))
        return base[:at] + extra + base[at:]


class InvalidSpecification(ValueError):
    """A report specification that this survey cannot support; the message says why."""


@dataclass(frozen=True)
class ReportSpec:
    """What to estimate. Defaults: trust, DiD, every never-treated jurisdiction as comparison."""

    outcome: str = "trust"
    estimator: str = "did"
    comparison: tuple[str, ...] | None = None  # jurisdiction codes; None = all never-treated ones
    subgroup: str = "all"
    weights: str = "responses"  # responses: cells weighted by their counts; cells: each cell equally
    cluster: str = "jurisdiction"
    direction: int | None = None  # which events: -1 (expected to lower trust), +1, None = the more common

    def as_dict(self) -> dict:
        return {**dataclasses.asdict(self), "comparison": list(self.comparison) if self.comparison else None}


def _check(spec: ReportSpec) -> None:
    if spec.outcome not in MEASURES:
        raise InvalidSpecification(f"outcome must be one of {', '.join(MEASURES)}")
    if spec.estimator not in ESTIMATORS:
        raise InvalidSpecification(f"estimator must be one of {', '.join(ESTIMATORS)}")
    if spec.subgroup not in SUBGROUPS:
        raise InvalidSpecification(f"subgroup must be one of {', '.join(SUBGROUPS)}")
    if spec.estimator == "ddd" and spec.subgroup != "all":
        raise InvalidSpecification("triple differences compare immigrant with other respondents: "
                                   "choose subgroup 'all'")
    if spec.weights not in WEIGHTS:
        raise InvalidSpecification(f"weights must be one of {', '.join(WEIGHTS)}")
    if spec.cluster != "jurisdiction":
        raise InvalidSpecification("errors are clustered by jurisdiction (the level of the policy)")


def report_data(survey: Survey, spec: ReportSpec) -> tuple[pd.DataFrame, int, tuple[str, ...]]:
    """The cell data for ``spec``, the event direction and the jurisdictions it uses."""
    cells, direction, keep, _ = _report_cells(survey, spec)
    return cells, direction, keep


def _weights_sentence(raked: margins.RakedCells) -> str:
    """What the raking did, in words, for every format of the report."""
    return (f"raking weights to the population margins uploaded on {raked.uploaded_at} "
            f"(SHA-256 {raked.sha256[:12]}; {', '.join(raked.variables)}), raked within each "
            f"jurisdiction and wave; Kish design effect {raked.deff:.2f}")


def _report_cells(survey: Survey, spec: ReportSpec
                  ) -> tuple[pd.DataFrame, int, tuple[str, ...], margins.RakedCells | None]:
    """:func:`report_data`, with the raking behind the cells when ``spec.weights`` is "raked"."""
    _check(spec)
    timing = treatment_timing(survey)
    direction = spec.direction if spec.direction is not None else dominant_direction(timing)
    if direction is None:
        raise InvalidSpecification("no policy events are recorded for this survey: record one first")
    timing = treatment_timing(survey, direction)
    treated = {c for c, wave in timing.first_treated.items() if wave > 0}
    never = {c for c, wave in timing.first_treated.items() if wave == 0}
    comparison = set(spec.comparison) if spec.comparison else never
    if not comparison <= never:
        wrong = sorted(comparison - never)
        raise InvalidSpecification(f"comparison jurisdictions must have no policy event: {', '.join(wrong)}")
    keep = treated | comparison
    use_subgroups = spec.estimator == "ddd" or spec.subgroup != "all"
    raked = None
    if spec.weights == "raked":
        stored = margins.current_margins(survey)
        if stored is None:
            raise InvalidSpecification("no population margins have been uploaded for this survey: "
                                       "upload them on the survey's margins page first")
        raked = margins.raked_cells(survey, spec.outcome, protected_cube(survey).wave_numbers, stored,
                                    subgroup=use_subgroups)
        cells = design_frame(raked.cells, timing)
    else:
        cells = design_frame(model_cells(survey, spec.outcome, subgroup=use_subgroups), timing)
    cells = cells[cells["jurisdiction"].isin(keep)]
    if spec.subgroup != "all":
        cells = cells[cells["immigrant"] == (1 if spec.subgroup == "immigrant" else 0)]
    if cells.empty:
        raise InvalidSpecification("there are no responses in the chosen jurisdictions yet")
    return cells.reset_index(drop=True), direction, tuple(sorted(keep)), raked


def published_respondents(survey: Survey, spec: ReportSpec, jurisdictions: tuple[str, ...]) -> int | None:
    """The respondents behind the report as the small-cell rule lets it be shown (None = suppressed)."""
    by = ("immigrant",) if spec.estimator == "ddd" or spec.subgroup != "all" else ()
    frame = aggregate(survey, by, Filters(jurisdictions=jurisdictions), measures=(spec.outcome,)).frame
    if by:
        wanted = ["immigrant", "non_immigrant"] if spec.subgroup == "all" else [spec.subgroup]
        frame = frame[frame["immigrant"].isin(wanted)]
    values = frame[f"{spec.outcome}_n"]
    return None if values.isna().any() else int(values.sum())


# Columns of the analysis package's "N by group" tables that describe a group, not its size or mean.
_GROUP_SOURCES = {"treated": "treated", "post": "post", "immigrant": "immigrant", "cohort": "first_treated"}


def _with_suppressed_groups(component: Any, cells: pd.DataFrame, min_count: int) -> Any:
    """``component`` with its "N by group" table under the small-cell rule (respondents per group).

    ``cells`` are the jurisdiction x wave (x subgroup) cell means the model ran on, with their
    respondent counts in ``n``; the table's own ``n`` counts cells, not people.
    """
    table = getattr(component, "n_by_group", None)
    if table is None or table.empty:
        return component
    groups = [c for c in table.columns if c in _GROUP_SOURCES]
    if not groups or any(_GROUP_SOURCES[c] not in cells.columns for c in groups):
        return component
    counts = (cells.groupby([_GROUP_SOURCES[c] for c in groups])["n"].sum()
              .rename("respondents").reset_index()
              .rename(columns={_GROUP_SOURCES[c]: c for c in groups}))
    merged = table.merge(counts, on=groups, how="left")
    merged["respondents"] = merged["respondents"].fillna(0).astype(int)
    values = [c for c in merged.columns if c not in groups and c != "respondents"]
    protected = suppress(merged, count_col="respondents", min_count=min_count, value_cols=values)
    return dataclasses.replace(component, n_by_group=protected.drop(columns=["suppression"]))


def build_report(survey: Survey, spec: ReportSpec, actor: Researcher | None = None, *,
                 full: bool = False) -> SurveyReport:
    """Run the study report for ``spec`` and record the run. Raises InvalidSpecification or an ``analysis`` error.

    ``full`` (analysts and admins) skips the output check of cohort effects (``output_check``).
    """
    cells, direction, jurisdictions, raked = _report_cells(survey, spec)
    plan = plans.current_plan(survey)
    frozen = plans.plan_spec(plan) if plan else None
    plan_info = ({"hash": plan.sha256, "frozen_at": plan.frozen_at.date().isoformat()} if plan else None)
    title = (f"{survey.title}: {spec.outcome}, "
             f"{'event study' if spec.estimator == 'event_study' else spec.estimator.upper()}")
    scale = parsed_instrument(survey.instrument).scales.get(spec.outcome)
    label = scale.label.get("en", spec.outcome) if scale else spec.outcome
    claim = hypothesis(label, scale.higher_means if scale else None, "more" if direction < 0 else "less",
                       subgroup=spec.estimator == "ddd")
    named = cells.rename(columns={"mean": spec.outcome})  # the report names the scale, not a column
    result = study_report(
        named, spec.outcome, treated="treated", post="post", unit="jurisdiction", time="wave",
        first_treated="first_treated", subgroup="immigrant" if spec.estimator == "ddd" else None,
        weights={"responses": "n", "raked": margins.WEIGHT}.get(spec.weights), cluster="jurisdiction",
        weights_note=(f"Non-response: estimates use {_weights_sentence(raked)}; people who answer surveys may "
                      "still differ from those who do not in ways the margins do not capture.") if raked else None,
        expected_sign=claim.expected_sign, title=title, counts="n", outcome_label=label,
        hypothesis=claim.sentence, sesoi=frozen["sesoi"] if frozen else None, plan=plan_info,
        headline={"ddd": "ddd", "event_study": "event_study"}.get(spec.estimator),
    )
    cube = protected_cube(survey)
    components = tuple((name, _with_suppressed_groups(component, cells, cube.min_cell_size))
                       for name, component in result.results)
    if not full:
        components = check_results(components, cells, cube.min_cell_size)
    result = dataclasses.replace(result, results=components)
    comparison = stated_actual.cached(survey)["result"]
    if comparison is not None:  # police records imported: actual reporting beside the stated willingness
        result = dataclasses.replace(result, results=(*result.results, ("Stated vs actual", comparison)))
    respondents = published_respondents(survey, spec, jurisdictions)
    head = result.headline
    plans.record_run(survey, actor, spec.as_dict(), result.verdict, head.get("estimate"), head.get("p_value"))
    family = list(frozen["outcomes"]) if frozen else list(MEASURES)
    k = plans.runs_of(survey, spec.outcome)
    tests = plans.family_tests(survey, family)
    adjusted = plans.holm(tests, list(tests)).get(plans.spec_hash(spec.as_dict()))
    search = {"registration": (f"pre-registered (plan {plan_info['hash'][:12]}, frozen {plan_info['frozen_at']})"
                               if plan_info else "exploratory (no pre-registered plan)"),
              "plan": plan_info, "deviations": plans.deviations(frozen, spec.as_dict()) if frozen else [],
              "specifications_run": k, "family": family, "holm_p": adjusted, "family_tests": len(tests),
              "sentence": f"{k} specification{'s' if k != 1 else ''} of this outcome "
                          f"{'have' if k != 1 else 'has'} been run on this survey"}
    meta = {**result.meta, "n_obs": respondents if respondents is not None else "suppressed (small groups)",
            "cells_analysed": len(cells), "survey": survey.slug, "specification": spec.as_dict(),
            "jurisdictions": list(jurisdictions), "direction": direction, "release": cube.release,
            "disclosure_rules": rules(cube.min_cell_size, full=full, release=cube.release), "search": search,
            "instrument_versions": [note.sentence for note in version_notes(survey)],
            "weights_sentence": _weights_sentence(raked) if raked else WEIGHT_LABELS[spec.weights]}
    values = {f.name: getattr(result, f.name) for f in dataclasses.fields(result)}
    return SurveyReport(**{**values, "meta": meta})


def render_report(survey: Survey, report: Report, fmt: str) -> ExportFile:
    """The report as a downloadable file in ``fmt`` (html, pdf, tex, json)."""
    if fmt not in REPORT_FORMATS:
        raise InvalidSpecification(f"format must be one of {', '.join(REPORT_FORMATS)}")
    mimetype, extension = REPORT_FORMATS[fmt]
    content = rendering.render_bytes(report, fmt)  # in memory: no temporary file
    return ExportFile(content, f"{survey.slug}-report.{extension}", mimetype,
                      int(report.meta.get("cells_analysed", 0)))
