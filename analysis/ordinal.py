"""Ordered logit/probit difference-in-differences for a single Likert item.

A scale mean treats "agree" minus "neutral" as equal to "strongly agree" minus
"agree"; one Likert item is ordinal.  This fits statsmodels ``OrderedModel``
with the DiD interaction and reports it as an odds ratio (logit) and as the
average change in the probability of each answer among treated post-event
respondents (with and without the policy), with delta-method errors.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from . import _prep
from ._linear import group_counts
from ._ols import tidy_frame
from .errors import ConvergenceError, InvalidSpecification, NotEnoughResponses
from .results import EffectResult

__all__ = ["ordinal"]


def ordinal(
    data: pd.DataFrame,
    outcome: str,
    treated: str,
    post: str,
    *,
    unit: str | None = None,
    time: str | None = None,
    controls: Sequence[str] | str | None = None,
    distr: str = "logit",
    cluster: str | None = None,
    alpha: float = 0.05,
) -> EffectResult:
    """Ordered-response DiD: ``P(Y <= k) = F(cut_k - x'b)`` with ``treated:post``.

    Parameters
    ----------
    data : DataFrame
        Respondent rows; ``outcome`` holds integer answer codes.
    outcome, treated, post : str
        Ordinal outcome and 0/1 indicators.
    unit, time : str, optional
        Add unit and time dummies (then ``treated`` and ``post`` main
        effects are absorbed).
    controls : list of str, optional
        Numeric controls.
    distr : {"logit", "probit"}
    cluster : str, optional
        Cluster-robust (sandwich) errors; defaults to ``unit``.
    alpha : float

    Returns
    -------
    EffectResult
        Coefficients on the latent (log-odds for logit) scale;
        ``extras["odds_ratio"]`` and ``extras["probability_change"]``.
    """
    from statsmodels.miscmodels.ordinal_model import OrderedModel

    _prep.require_frame(data)
    if distr not in ("logit", "probit"):
        raise InvalidSpecification("distr must be 'logit' or 'probit'")
    ctrl = _prep.as_list(controls)
    cluster = cluster or unit
    _prep.require_columns(data, {"outcome": outcome, "treated": treated, "post": post,
                                 "unit": unit, "time": time, "control": ctrl,
                                 "cluster": cluster}, distinct=True)
    cols = [outcome, treated, post, *ctrl] + [c for c in (unit, time, cluster) if c]
    df = _prep.complete_rows(data, cols, min_rows=10)
    y = _prep.numeric(df, outcome, "outcome")
    if not np.all(y == np.round(y)):
        raise InvalidSpecification(f"ordinal outcome {outcome!r} must hold integer codes")
    levels = np.unique(y)
    if len(levels) < 2:
        raise NotEnoughResponses(f"outcome {outcome!r} takes a single value")
    T = _prep.binary(df, treated, "treated")
    P = _prep.binary(df, post, "post")
    _prep.require_varies(T, treated, "treated")
    _prep.require_varies(P, post, "post")
    term = f"{treated}:{post}"
    X = pd.DataFrame(index=df.index)
    if unit is None:
        X[treated] = T
    if time is None:
        X[post] = P
    X[term] = T * P
    for c in ctrl:
        X[c] = _prep.numeric(df, c, "control")
    for fe in (unit, time):
        if fe:
            d = pd.get_dummies(df[fe].astype(str), prefix=fe, drop_first=True, dtype=float)
            X = pd.concat([X, d], axis=1)
    # the ordered model has no intercept (thresholds play it): X itself must have full rank
    if np.linalg.matrix_rank(X.to_numpy(dtype=float)) < X.shape[1]:
        raise InvalidSpecification(
            f"the indicators are collinear ({', '.join(map(str, X.columns[:3]))}...): "
            f"{treated} x {post} cannot be separated from the other terms")
    yc = pd.Series(pd.Categorical(y, categories=levels, ordered=True), index=df.index)
    model = OrderedModel(yc, X, distr=distr)
    kw = {}
    G = 0
    if cluster:
        groups, G = _prep.codes(df[cluster])
        if G < 2:
            raise InvalidSpecification("cluster-robust errors need at least 2 clusters")
        kw = {"cov_type": "cluster", "cov_kwds": {"groups": groups}}
    notes = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = model.fit(method="bfgs", maxiter=5000, disp=False, **kw)
    for w in caught:
        notes.append(f"statsmodels: {str(w.message).splitlines()[0]}")
    if not res.mle_retvals.get("converged", True):
        notes.append("ordered model optimiser did not report convergence")
    params = res.params.to_numpy()
    try:
        cov = np.asarray(res.cov_params())
    except (ValueError, np.linalg.LinAlgError):
        raise ConvergenceError(
            "the ordered model's information matrix is singular (an answer category or a "
            "design cell too thin to estimate); merge sparse categories") from None
    names = list(res.params.index)
    k = X.shape[1]
    df_t = G - 1 if cluster else np.inf
    # The table shows the policy terms and controls only: the fixed-effect dummies are nuisance
    # parameters (their clustered errors mean nothing), and statsmodels' threshold parameters are
    # log increments; the thresholds go to extras on the latent scale, with delta-method errors.
    shown = [j for j, n in enumerate(names[:k]) if n in (term, treated, post, *ctrl)]
    tidy = tidy_frame([names[j] for j in shown], params[shown],
                      np.sqrt(np.clip(np.diag(cov)[shown], 0, None)), df_t, alpha)
    i = names.index(term)
    q = (stats.t(df_t) if np.isfinite(df_t) else stats.norm()).ppf(1 - alpha / 2)
    raw = params[k:]
    cut = np.cumsum(np.r_[raw[0], np.exp(raw[1:])])
    Jc = np.tril(np.ones((len(raw), len(raw)))) * np.r_[1.0, np.exp(raw[1:])]
    cut_se = np.sqrt(np.clip(np.diag(Jc @ cov[k:, k:] @ Jc.T), 0, None))
    extras = {"distr": distr, "levels": levels.tolist(),
              "thresholds": [{"between": f"{levels[j]} | {levels[j + 1]}", "threshold": float(c),
                              "se": float(e)} for j, (c, e) in enumerate(zip(cut, cut_se,
                                                                               strict=True))],
              "fixed_effects_absorbed": [c for c in names[:k] if c not in
                                         (term, treated, post, *ctrl)]}
    if distr == "logit":
        b, s = params[i], np.sqrt(cov[i, i])
        with np.errstate(over="ignore"):  # a huge interval's odds-ratio bound is inf
            extras["odds_ratio"] = {"estimate": float(np.exp(b)),
                                    "ci_low": float(np.exp(b - q * s)),
                                    "ci_high": float(np.exp(b + q * s))}
    extras["probability_change"] = _prob_change(model, params, cov, X, term, levels, q)
    if distr == "logit":
        extras["proportional_odds"] = _po_check(y, X, term, levels)
    spec = {"outcome": outcome, "treated": treated, "post": post, "unit": unit, "time": time,
            "controls": ctrl, "distr": distr, "cluster": cluster, "alpha": alpha,
            "n_clusters": G, "se": "cluster" if cluster else "classical"}
    inference = (f"sandwich clustered by {cluster} ({G} clusters), t({G - 1})" if cluster
                 else "maximum-likelihood (inverse Hessian), normal (no cluster column given)")
    if not cluster:
        notes.append("no cluster column: respondents are treated as independent, but those in "
                     "one jurisdiction and wave share its shocks; pass cluster= or unit=")
    elif G < 30:
        notes.append(f"only {G} clusters: the clustered sandwich can be too narrow; with few "
                     "treated jurisdictions prefer did on the scale score with "
                     "inference='auto' (randomization inference)")
    extras["inference"] = {"method": "cluster" if cluster else "classical", "n_clusters": G,
                           "n_draws": 0,
                           "reason": "jurisdictions given" if cluster else "no cluster column given"}
    return EffectResult(kind="ordinal", term=term, _tidy=tidy, spec=spec, n_obs=len(df),
                        n_by_group=group_counts(df, [treated, post], outcome, None),
                        fingerprint=_prep.fingerprint(df[cols]), inference=inference,
                        notes=tuple(notes), extras=extras)


def _prob_change(model, params, cov, X, term, levels, q):
    """Average change in P(Y = level) among treated post rows: with vs without policy."""
    on = X[X[term] == 1]
    off = on.copy()
    off[term] = 0.0

    def change(p):
        return (model.predict(p, exog=on.to_numpy()) - model.predict(p, exog=off.to_numpy())
                ).mean(axis=0)

    base = change(params)
    eps = 1e-6 * np.maximum(1.0, np.abs(params))
    J = np.column_stack([(change(params + e) - base) / h for e, h in
                         ((np.eye(len(params))[j] * eps[j], eps[j]) for j in range(len(params)))])
    se = np.sqrt(np.clip(np.einsum("ij,jk,ik->i", J, cov, J), 0, None))
    return pd.DataFrame({"level": levels, "change": base, "se": se,
                         "ci_low": base - q * se, "ci_high": base + q * se})


def _po_check(y, X, term, levels) -> dict:
    """Proportional-odds check: the policy term in a binary logit at each cut, tested for
    equality (Wald, inverse-variance pooled; the cuts' covariance is ignored, so the test is
    approximate, like a Brant test without its cross terms)."""
    import statsmodels.api as sm

    b, v = [], []
    Xc = sm.add_constant(X.to_numpy(dtype=float), has_constant="add")
    j = list(X.columns).index(term) + 1
    for cut in levels[:-1]:
        yy = (np.asarray(y) > cut).astype(float)
        if yy.min() == yy.max():
            continue
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                r = sm.Logit(yy, Xc).fit(disp=False, maxiter=200)
            se = float(np.sqrt(r.cov_params()[j, j]))
        except (np.linalg.LinAlgError, ValueError):
            continue
        if np.isfinite(se) and se > 0:
            b.append(float(r.params[j]))
            v.append(se**2)
    if len(b) < 2:
        return {"statistic": None, "df": 0, "p_value": None,
                "note": "too few usable cuts to check proportional odds"}
    bb, vv = np.array(b), np.array(v)
    pooled = float(np.sum(bb / vv) / np.sum(1 / vv))
    stat = float(np.sum((bb - pooled) ** 2 / vv))
    p = float(stats.chi2.sf(stat, len(b) - 1))
    return {"statistic": stat, "df": len(b) - 1, "p_value": p,
            "note": ("the policy effect differs across answer cuts: read the changes in answer "
                     "probabilities rather than one odds ratio" if p < 0.05 else
                     "no evidence that the policy effect differs across answer cuts "
                     "(approximate Wald test of the cut-wise logits)")}
