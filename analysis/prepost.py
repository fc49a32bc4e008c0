"""Before/after in one jurisdiction around one event.

The weakest design in the package (no comparison group: anything else that
changed at the same time is attributed to the policy), kept because a city
with no comparable neighbour still wants to see its own numbers.  The result
carries that caveat.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from . import _linear, _prep
from .errors import InvalidSpecification, NotEnoughResponses
from .results import EffectResult

__all__ = ["prepost"]


def prepost(
    data: pd.DataFrame,
    outcome: str,
    time: str,
    event: float,
    *,
    unit: str | None = None,
    unit_value=None,
    window: tuple[int, int] | None = None,
    trend: bool = False,
    controls: Sequence[str] | str | None = None,
    weights: str | None = None,
    se: str = "hc1",
    cluster: str | None = None,
    alpha: float = 0.05,
) -> EffectResult:
    """Change in the outcome from before to after one event.

    ``Y ~ post (+ event_time + post:event_time if trend) + controls`` where
    ``post = time >= event`` and ``event_time = time - event``.

    Parameters
    ----------
    data : DataFrame
        Respondent rows (or cell means with counts as ``weights``).
    outcome, time : str
        Outcome column and numeric time (wave) column.
    event : number
        First time value after the event.
    unit, unit_value : optional
        Keep only rows with ``data[unit] == unit_value`` (one jurisdiction).
    window : (int, int), optional
        Waves kept before and from the event, e.g. ``(3, 3)`` keeps
        ``event-3 .. event+2``.
    trend : bool
        Add a linear time trend with a slope change at the event
        (interrupted time series); ``post`` is then the level shift.
    controls, weights, alpha
        As in :func:`analysis.did`.
    se : {"hc1", "classical", "cluster"}
        Default HC1; ``cluster`` (e.g. by wave) only with many clusters.
    cluster : str, optional
        Cluster column for ``se="cluster"``.

    Returns
    -------
    EffectResult
        ``term == "post"``.
    """
    _linear.check_common(data, se, alpha, 999, "auto")
    if se in ("wild", "auto"):
        raise InvalidSpecification("prepost supports se='hc1', 'classical' or 'cluster'")
    _prep.require_columns(data, {"outcome": outcome, "time": time, "unit": unit})
    df = data
    if unit is not None:
        df = df[df[unit] == unit_value]
        if df.empty:
            raise NotEnoughResponses(f"no rows with {unit} == {unit_value!r}")
    t = _prep.numeric(df, time, "time")
    if window is not None:
        before, after = window
        if before < 1 or after < 1:
            raise InvalidSpecification("window needs at least one wave before and one after")
        keep = (t >= event - before) & (t < event + after)
        df, t = df[keep], t[keep]
    post = (t >= event).astype(float)
    if post.min() == post.max():
        raise InvalidSpecification(
            f"every usable row is {'after' if post[0] else 'before'} the event at {time}={event}")
    extra = {"post": post, "event_time": t - event}
    names = {k: k if k not in df.columns else f"_{k}" for k in extra}
    df = df.assign(**{names[k]: v for k, v in extra.items()})
    ctrl = _prep.as_list(controls)
    terms: tuple = ((names["post"],),)
    if trend:
        ctrl = [names["event_time"], *ctrl]
        df = df.assign(_post_x_time=post * (t - event))
        ctrl.insert(1, "_post_x_time")
    spec = _linear.LinearSpec(
        kind="prepost", outcome=outcome, term=names["post"], indicators=(names["post"],),
        terms=terms, controls=tuple(ctrl), weights=weights, cluster=cluster, se=se,
        alpha=alpha, group_cols=(names["post"],),
    )
    res = _linear.run(spec, df)
    note = ("no comparison group: the change includes anything else that moved at the same "
            "time (seasonality, news, other policies)")
    return EffectResult(kind=res.kind, term=res.term, _tidy=res.tidy,
                        spec={**res.spec, "time": time, "event": float(event),
                              "window": list(window) if window else None, "trend": trend,
                              "unit": unit, "unit_value": unit_value},
                        n_obs=res.n_obs, n_by_group=res.n_by_group,
                        fingerprint=res.fingerprint, inference=res.inference,
                        notes=(*res.notes, note), extras=dict(res.extras))
