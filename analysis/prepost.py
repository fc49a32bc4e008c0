"""Before/after in one jurisdiction around one event.

The weakest design in the package (no comparison group: anything else that
changed at the same time is attributed to the policy), kept because a city
with no comparable neighbour still wants to see its own numbers.  The result
carries that caveat.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from . import _fixedb, _linear, _prep
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
    se: str = "auto",
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
    se : {"auto", "hc1", "classical", "cluster"}
        ``auto`` (default): wave-level inference (Donald and Lang 2007):
        everyone asked in one wave shares that wave's shocks, so the
        regression is run on wave means weighted by their summed weights
        (the same estimate); its variance is Bartlett HAC over all waves
        (Kiefer-Vogelsang fixed-b) with critical values simulated for the
        design under AR(1) shocks (:mod:`analysis._fixedb`), so shocks that
        persist from wave to wave do not make it too narrow.  Fewer than 2
        waves on a side (or 3 residual degrees of freedom): no interval, and
        the result says why.  With controls it clusters by wave instead.  ``hc1`` treats respondents as
        independent (too narrow whenever waves have their own shocks).
    cluster : str, optional
        Cluster column for ``se="cluster"``.

    Returns
    -------
    EffectResult
        ``term == "post"``.
    """
    _linear.check_common(data, se, alpha, 999, "auto")
    if se == "wild":
        raise InvalidSpecification("prepost supports se='auto', 'hc1', 'classical' or 'cluster'")
    _prep.require_columns(data, {"outcome": outcome, "time": time, "unit": unit,
                                 "weights": weights}, distinct=True)
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
    wave_level = se == "auto" and not _prep.as_list(controls)
    if se == "auto" and not wave_level:
        se, cluster = "cluster", cluster or time
    spec = _linear.LinearSpec(
        kind="prepost", outcome=outcome, term=names["post"], indicators=(names["post"],),
        terms=terms, controls=tuple(ctrl), weights=weights, cluster=cluster,
        se="hc1" if wave_level else se, alpha=alpha, group_cols=(names["post"],),
    )
    res = _linear.run(spec, df)
    tidy, inference, extras = res.tidy, res.inference, dict(res.extras)
    serial = _SERIAL
    if wave_level:
        tidy, info, classical = _wave_level(df, time, outcome, weights, [names["post"], *ctrl],
                                            alpha, event)
        inference = info["text"]
        serial = info["serial_correlation"]
        extras["inference"] = info
        extras["hc1"] = res.tidy.set_index("term").loc[names["post"]].to_dict()
        extras["wave_classical"] = classical
    else:
        extras.setdefault("inference", {"method": spec.se, "n_clusters": res.spec["n_clusters"],
                                        "reason": "requested"})
    # the respondent-level fit is only a by-product on the wave-level path: drop its HC1 note
    base_notes = [n for n in res.notes if not (wave_level and n.startswith("no cluster column"))]
    note = ("no comparison group: the change includes anything else that moved at the same "
            "time (seasonality, news, other policies)")
    return EffectResult(kind=res.kind, term=res.term, _tidy=tidy,
                        spec={**res.spec, "se": "wave" if wave_level else res.spec["se"],
                              "time": time, "event": float(event),
                              "window": list(window) if window else None, "trend": trend,
                              "unit": unit, "unit_value": unit_value},
                        n_obs=res.n_obs, n_by_group=res.n_by_group,
                        fingerprint=res.fingerprint, inference=inference,
                        notes=(*base_notes, note, serial), extras=extras)


_SERIAL = ("this interval treats waves (or respondents) as independent: if the jurisdiction's "
           "shocks carry over from wave to wave (serial correlation) it is too narrow; the "
           "default (se='auto') allows for that")


def _wave_level(df, time: str, outcome: str, weights, cols: list, alpha: float, event: float):
    """Wave means (weights: summed respondent weights); fixed-b HAC test of every coefficient.

    Returns the tidy table, the inference record (method, reason, the note on
    serial correlation written from what ran) and the classical Donald-Lang
    figures for comparison.
    """
    y = _prep.numeric(df, outcome, "outcome")
    w = _prep.weights_array(df, weights)
    w = np.ones(len(y)) if w is None else w
    code, W = _prep.codes(df[[time]])          # sorted by time: wave order
    Ws = np.bincount(code, weights=w, minlength=W)
    ybar = np.bincount(code, weights=w * y, minlength=W) / Ws
    X = np.column_stack([np.ones(W)] + [np.bincount(code, weights=w * df[c].to_numpy(float),
                                                    minlength=W) / Ws for c in cols])
    k = X.shape[1]
    if W - k < 1:
        raise InvalidSpecification(
            f"wave-level inference needs more waves than regressors ({W} waves, {k} "
            "regressors); pass se='hc1' to treat respondents as independent")
    from ._ols import tidy_frame

    names = ["Intercept", *cols]
    XtW = X.T * Ws
    A = np.linalg.pinv(XtW @ X)
    beta = A @ XtW @ ybar
    u = ybar - X @ beta
    s2 = float(Ws @ (u * u)) / (W - k)
    classical = tidy_frame(names, beta, np.sqrt(np.diag(A) * s2), W - k, alpha)
    classical = classical.set_index("term").loc[cols[0]].to_dict() | {"df": int(W - k)}
    n_pre = int(np.sum(X[:, 1] == 0))
    n_post = W - n_pre
    base = {"n_clusters": int(W), "df": int(W - k), "waves_before": n_pre, "waves_after": n_post,
            "kernel": "bartlett", "bandwidth": int(W)}
    if min(n_pre, n_post) < _fixedb.MIN_SIDE or W - k < 3:
        why = (f"{n_pre} wave(s) before and {n_post} after the event ({W - k} residual degrees "
               f"of freedom): too few to allow for shocks that persist from wave to wave, so "
               f"no interval is given (needs {_fixedb.MIN_SIDE} on each side and 3 residual "
               "degrees of freedom); se='hc1' or 'classical' give one that assumes "
               "independent waves")
        tidy = tidy_frame(names, beta, np.full(k, np.nan), W - k, alpha)
        info = {**base, "method": "wave-level-refused", "n_draws": 0, "reason": why,
                "serial_correlation": why,
                "text": f"wave-level: no interval ({n_pre} wave(s) before, {n_post} after)"}
        return tidy, info, classical
    fb = _fixedb.fixed_b(X, ybar, Ws, alpha)
    tidy = tidy_frame(names, fb["estimate"], fb["se"], W - k, alpha)
    tidy["p_value"] = fb["p_value"]
    tidy["ci_low"] = fb["estimate"] - fb["critical"] * fb["se"]
    tidy["ci_high"] = fb["estimate"] + fb["critical"] * fb["se"]
    crit = float(fb["critical"][1])
    serial = (f"shocks that persist from wave to wave are allowed for: Bartlett HAC over all {W} "
              f"waves (Kiefer-Vogelsang fixed-b) with its critical value ({crit:.2f}) simulated "
              f"for these waves under AR(1) shocks with rho = {fb['rho']:.2f} (quantile-unbiased "
              f"from the residuals' lag-1 autocorrelation {fb['r1']:.2f}, floored at 0); a "
              "persistent local shift that starts exactly at the event still cannot be told "
              "from the policy without a comparison group (did, event_study)")
    info = {**base, "method": "wave-level-hac", "n_draws": int(fb["n_draws"]),
            "reason": ("default: respondents in one wave share its shocks and a jurisdiction's "
                       "shocks can persist across waves; with few waves a fixed-b HAC with "
                       "simulated AR(1) critical values keeps the size where a classical "
                       "wave-level t does not"),
            "critical_value": crit, "rho": float(fb["rho"]), "residual_autocorr": float(fb["r1"]),
            "quantile": _fixedb.QUANTILE, "serial_correlation": serial,
            "text": (f"wave-level HAC: regression on {W} wave means, Bartlett kernel over all "
                     f"waves, fixed-b critical value {crit:.2f} simulated under AR(1) "
                     f"rho={fb['rho']:.2f} (shocks shared within a wave and persisting "
                     "across waves)")}
    return tidy, info, classical
