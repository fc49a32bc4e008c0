"""Every file or table a researcher takes away, built and audited in one call.

The research pages and the JSON API call one function here per download: it
builds the content (always through the small-cell rule where it is
aggregate), writes the AuditLog row naming who took what with which
parameters (never the data itself) and commits. A view never writes an audit
row of its own. ``via="api"`` marks downloads made with an API token.
"""
from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from ..accounts.audit import record
from ..extensions import db
from ..models import Researcher, Role, Survey
from . import codebook as codebooks
from . import exports
from .aggregates import AggregateTable, Filters, aggregate
from .estimates import survey_estimates
from .exports import ExportFile
from .grants import GrantError, active_grant
from .reports import ReportSpec, build_report, render_report
from .safe_microdata import safe_microdata


def audit_download(action: str, actor: Researcher | None, survey: Survey, parameters: dict[str, Any],
                   via: str | None = None) -> None:
    """Record one download of ``survey`` by ``actor`` and commit."""
    if via is not None:
        parameters = {"via": via, **parameters}
    record(action, actor=actor, organisation_id=survey.organisation_id, target=f"survey:{survey.id}",
           parameters=parameters)
    db.session.commit()


def aggregate_table(survey: Survey, by: Sequence[str], filters: Filters, *, margins: bool, fmt: str,
                    actor: Researcher | None, via: str | None = None) -> AggregateTable:
    """A suppressed aggregate table, audited as ``export.aggregates``."""
    table = aggregate(survey, tuple(by), filters, margins=margins)
    audit_download("export.aggregates", actor, survey,
                   {"format": fmt, "by": list(by), "filters": filters.as_dict()}, via)
    return table


def aggregate_file(survey: Survey, by: Sequence[str], filters: Filters, fmt: str,
                   actor: Researcher | None) -> ExportFile:
    """A suppressed aggregate table with its margins as a CSV or JSON file."""
    table = aggregate_table(survey, by, filters, margins=True, fmt=fmt, actor=actor)
    if fmt == "json":
        return ExportFile(exports.aggregate_json(table, survey), f"{survey.slug}-aggregates.json",
                          "application/json", len(table.frame))
    return ExportFile(exports.aggregate_csv(table), f"{survey.slug}-aggregates.csv", "text/csv; charset=utf-8",
                      len(table.frame))


def responses_file(survey: Survey, fmt: str, actor: Researcher | None, via: str | None = None,
                   tier: str = "safe") -> ExportFile:
    """Row-level responses (analysts and admins), audited as ``export.responses`` with the row count.

    ``tier="safe"`` (the default): safe microdata (``safe_microdata``). ``tier="restricted"``: the
    stored rows with exact day and free text, only under an active grant (else ``GrantError``).
    """
    if tier == "restricted":
        grant = active_grant(survey, actor)
        if grant is None:
            raise GrantError("restricted microdata needs an admin's grant for you (named, with purpose and expiry)")
        result = exports.export_responses(survey, fmt, suffix="responses-restricted")
        audit_download("export.responses", actor, survey,
                       {"format": fmt, "rows": result.rows, "tier": "restricted", "grant": grant.id}, via)
        return result
    safe = safe_microdata(survey)
    result = exports.export_responses(survey, fmt, frame=safe.frame)
    audit_download("export.responses", actor, survey,
                   {"format": fmt, "rows": result.rows, "tier": "safe", "k": safe.k, "achieved_k": safe.achieved_k,
                    "suppressed_values": safe.suppressed_values}, via)
    return result


def codebook_file(survey: Survey, fmt: str, actor: Researcher | None) -> ExportFile:
    """The codebook as CSV or JSON, audited as ``export.codebook``."""
    audit_download("export.codebook", actor, survey, {"format": fmt})
    if fmt == "json":
        body = json.dumps(_codebook_with_safety(survey), ensure_ascii=False, indent=2)
        return ExportFile(body.encode("utf-8"), f"{survey.slug}-codebook.json", "application/json", 0)
    return ExportFile(codebooks.codebook_csv(survey).encode("utf-8"), f"{survey.slug}-codebook.csv",
                      "text/csv; charset=utf-8", 0)


def codebook_document(survey: Survey, actor: Researcher | None, via: str | None = None) -> dict:
    """The codebook as a JSON-ready dict (the API), audited as ``export.codebook``."""
    audit_download("export.codebook", actor, survey, {"format": "json"}, via)
    return _codebook_with_safety(survey)


def _codebook_with_safety(survey: Survey) -> dict:
    """The codebook with what the safe microdata export does (k, achieved k, suppressed values...)."""
    return {**codebooks.codebook(survey), "safe_microdata": safe_microdata(survey).summary()}


def report_file(survey: Survey, spec: ReportSpec, fmt: str, actor: Researcher | None) -> ExportFile:
    """A regression report for ``spec``, audited as ``report.export`` once it has been computed.

    Raises ``InvalidSpecification`` or an ``analysis`` error (nothing audited) when it cannot be computed.
    """
    full = actor is not None and actor.has_role(Role.ADMIN, Role.ANALYST)
    result = render_report(survey, build_report(survey, spec, actor, full=full), fmt)
    audit_download("report.export", actor, survey, {"format": fmt, "specification": spec.as_dict(),
                                                    "output_checked": not full})
    return result


def estimates_document(survey: Survey, actor: Researcher | None, via: str | None = None) -> dict:
    """The dashboard's estimates (the API), audited as ``report.estimates``."""
    result = survey_estimates(survey)
    audit_download("report.estimates", actor, survey, {"specification": result.get("specification", {})}, via)
    return result
