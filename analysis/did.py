"""Difference-in-differences and triple differences.

``did`` compares treated with comparison jurisdictions before and after the
policy event; ``ddd`` adds a third difference (immigrant vs non-immigrant
respondents), the direct test of the claim that enforcement changes
immigrants' trust and reporting specifically.

Both run on respondent rows or on cell means (jurisdiction x wave, or
jurisdiction x wave x subgroup) with the cell counts as ``weights``: the point
estimates are identical, and clustered scores are identical too (only the
small-sample factor ``(N-1)/(N-K)`` sees the smaller ``N``).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from . import _linear, _prep
from .errors import NoComparisonGroup, NotEnoughResponses
from .results import EffectResult

__all__ = ["ddd", "did"]


def _check_cells(data: pd.DataFrame, cols: Sequence[str], roles: Sequence[str]) -> None:
    """Every combination of the 0/1 design indicators must have rows."""
    sub = data[list(cols)].dropna()
    for c, role in zip(cols, roles, strict=False):
        x = _prep.binary(sub, c, role)
        _prep.require_varies(x, c, role)
    present = set(map(tuple, sub.astype(float).astype(int).drop_duplicates().to_numpy().tolist()))
    grid = np.array(np.meshgrid(*[[0, 1]] * len(cols))).T.reshape(-1, len(cols))
    for combo in map(tuple, grid.tolist()):
        if combo in present:
            continue
        where = ", ".join(f"{c}={v}" for c, v in zip(cols, combo, strict=False))
        if combo[0] == 0:
            hint = ""
            if len(cols) > 1 and combo[1] == 1:
                hint = ("; if post is 0 for every comparison row (staggered events), pass "
                        "unit= and time= for two-way fixed effects, or use event_study")
            raise NoComparisonGroup(f"no comparison rows with {where}{hint}")
        raise NotEnoughResponses(f"no rows with {where}")


def did(
    data: pd.DataFrame,
    outcome: str,
    treated: str,
    post: str,
    *,
    unit: str | None = None,
    time: str | None = None,
    controls: Sequence[str] | str | None = None,
    weights: str | None = None,
    cluster: str | None = None,
    se: str = "auto",
    alpha: float = 0.05,
    n_boot: int = 999,
    boot_weights: str = "auto",
    seed: int | None = 0,
    inference: str = "auto",
) -> EffectResult:
    """Difference-in-differences: 2x2 or two-way fixed effects.

    Without ``unit``/``time`` this is the 2x2 regression
    ``Y ~ treated + post + treated:post + controls`` and the estimate is the
    coefficient on ``treated:post``.  With ``unit`` and ``time`` it is the
    two-way fixed-effects regression ``Y ~ treated:post + controls | unit +
    time`` (the within transformation, not dummies), where ``post`` marks the
    waves from each treated unit's event on (staggered timing allowed; see
    :func:`analysis.event_study` for heterogeneity-robust estimates).

    Parameters
    ----------
    data : DataFrame
        Respondent rows, or cell means with their counts in ``weights``.
    outcome : str
        Numeric outcome column (e.g. a scale score).
    treated, post : str
        0/1 columns: unit ever treated; period after the unit's event.
    unit, time : str, optional
        Unit (jurisdiction) and time (wave) columns for fixed effects.
    controls : list of str or "a,b", optional
        Numeric control columns.
    weights : str, optional
        Analytic/survey weights (e.g. raking weights or cell counts).
    cluster : str, optional
        Cluster column; defaults to ``unit`` when fixed effects are used.
    se : {"auto", "classical", "hc1", "cluster", "wild"}
        ``auto``: the wild cluster bootstrap when clustering with fewer than
        30 clusters, CRV1 with 30 or more, HC1 without clusters.
    alpha : float
        1 - confidence level.
    n_boot, boot_weights, seed
        Wild bootstrap draws, weights (``auto`` = Webb below 12 clusters,
        Rademacher otherwise; Rademacher is enumerated when 2^G <= n_boot)
        and seed.
    inference : {"auto", "cluster", "wild", "bootstrap", "ri"}
        ``auto`` with ``se="auto"``: randomization inference (adoption dates
        permuted across the ``unit`` jurisdictions, interval by inverting
        the test of a constant effect) when fewer than 5 jurisdictions are
        treated or untreated, else as ``se``.  ``cluster``/``wild``
        (``bootstrap`` is an alias) override ``se``; ``ri`` forces
        permutations (``n_boot`` of them unless all can be enumerated).
        ``extras["inference"]`` records what ran and why.

    Returns
    -------
    EffectResult
        ``term == "treated:post"``.

    Raises
    ------
    UnknownColumn, NonNumericOutcome, ConstantTreatment, NoComparisonGroup,
    TooFewClusters, InvalidSpecification
    """
    _linear.check_common(data, se, alpha, n_boot, boot_weights)
    _prep.require_columns(data, {"outcome": outcome, "treated": treated, "post": post,
                                 "unit": unit, "time": time, "control": _prep.as_list(controls),
                                 "weights": weights, "cluster": cluster}, distinct=True)
    fixed = tuple((c,) for c in (unit, time) if c)
    if not fixed:
        _check_cells(data, [treated, post], ["treated", "post"])
    else:
        _check_cells(data, [treated], ["treated"])
        _prep.require_varies(_prep.binary(data[[post]].dropna(), post, "post"), post, "post")
    terms: list[tuple[str, ...]] = []
    if unit is None:
        terms.append((treated,))
    if time is None:
        terms.append((post,))
    terms.append((treated, post))
    spec = _linear.LinearSpec(
        kind="did", outcome=outcome, term=_linear.term_name((treated, post)),
        indicators=(treated, post), terms=tuple(terms), fixed_effects=fixed,
        controls=tuple(_prep.as_list(controls)), weights=weights,
        cluster=cluster or unit, se=se, alpha=alpha, n_boot=int(n_boot),
        boot_weights=boot_weights, seed=seed, group_cols=(treated, post),
        inference=inference, ri_unit=unit, ri_time=time,
    )
    return _linear.run(spec, data)


def ddd(
    data: pd.DataFrame,
    outcome: str,
    treated: str,
    post: str,
    subgroup: str,
    *,
    unit: str | None = None,
    time: str | None = None,
    controls: Sequence[str] | str | None = None,
    weights: str | None = None,
    cluster: str | None = None,
    se: str = "auto",
    alpha: float = 0.05,
    n_boot: int = 999,
    boot_weights: str = "auto",
    seed: int | None = 0,
    inference: str = "auto",
) -> EffectResult:
    """Triple differences: subgroup x treated x post.

    Without ``unit``/``time``: the saturated regression
    ``Y ~ treated * post * subgroup + controls``; the estimate is the
    coefficient on ``treated:post:subgroup``.  With ``unit`` and ``time``:
    ``Y ~ treated:post:subgroup + controls | unit^time + unit^subgroup +
    time^subgroup``, which absorbs every jurisdiction x wave shock (including
    the policy's common effect) and lets each subgroup have its own
    jurisdiction and wave levels (Olden and Moen 2022).

    Parameters
    ----------
    subgroup : str
        0/1 column of the group expected to respond more (e.g. ``immigrant``).
    Other parameters
        As in :func:`did`.

    Returns
    -------
    EffectResult
        ``term == "treated:post:subgroup"`` (with the actual column names).
    """
    _linear.check_common(data, se, alpha, n_boot, boot_weights)
    _prep.require_columns(data, {"outcome": outcome, "treated": treated, "post": post,
                                 "subgroup": subgroup, "unit": unit, "time": time,
                                 "control": _prep.as_list(controls), "weights": weights,
                                 "cluster": cluster}, distinct=True)
    if unit is None and time is None:
        _check_cells(data, [treated, post, subgroup], ["treated", "post", "subgroup"])
        terms: tuple[tuple[str, ...], ...] = ((treated,), (post,), (subgroup,), (treated, post), (treated, subgroup),
                 (post, subgroup), (treated, post, subgroup))
        fixed: tuple = ()
    else:
        if unit is None or time is None:
            from .errors import InvalidSpecification

            raise InvalidSpecification("ddd with fixed effects needs both unit= and time=")
        _check_cells(data, [treated, subgroup], ["treated", "subgroup"])
        _prep.require_varies(_prep.binary(data[[post]].dropna(), post, "post"), post, "post")
        terms = ((treated, post, subgroup),)
        fixed = ((unit, time), (unit, subgroup), (time, subgroup))
    spec = _linear.LinearSpec(
        kind="ddd", outcome=outcome, term=_linear.term_name((treated, post, subgroup)),
        indicators=(treated, post, subgroup), terms=terms, fixed_effects=fixed,
        controls=tuple(_prep.as_list(controls)), weights=weights,
        cluster=cluster or unit, se=se, alpha=alpha, n_boot=int(n_boot),
        boot_weights=boot_weights, seed=seed, group_cols=(subgroup, treated, post),
        inference=inference, ri_unit=unit, ri_time=time,
    )
    return _linear.run(spec, data)
