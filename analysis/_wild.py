"""Wild cluster bootstrap, restricted (WCR), for one coefficient (private).

Follows Cameron, Gelbach & Miller (2008) and the fast algebra of Roodman,
MacKinnon, Nielsen & Webb (2019, "boottest"): under the null ``beta_k = b`` the
bootstrap outcome is ``y* = y~(b) + v_g * u~(b)`` with restricted residuals
``u~(b)`` and one draw ``v_g`` per cluster (Rademacher or Webb).  Every
bootstrap t statistic is then a function of G-vectors and one G x G matrix, so
999 draws cost no more than a few small matrix products, and the interval is
found by inverting the test (bisection on ``b`` with the draws held fixed).
Because the bootstrap scores are linear in ``b``, three B-vectors of sums of
squares are formed once and each inversion step costs O(B): after one pass over
the rows for the G-level sums, the cost does not grow with the number of rows.
Without respondent-level controls that one pass is a few ``bincount`` calls:
the design is first collapsed to weighted cluster x fixed-effect cell means
(:func:`collapse_cells`), which leaves every score, and so every draw, unchanged.

Fixed effects nested in the clusters are absorbed (the bootstrap leaves them
intact); other fixed effects (e.g. waves when clustering by jurisdiction) enter
as explicit dummies, which is exact and cheap when they have few levels.
"""

from __future__ import annotations

import itertools

import numpy as np

from . import _prep
from ._ols import Design, FixedEffect, cluster_sums, demean, nested_in
from .errors import InvalidSpecification, TooFewClusters

WEIGHT_TYPES = ("rademacher", "webb")
MAX_DUMMY_LEVELS = 2000
_WEBB = np.array([-np.sqrt(1.5), -1.0, -np.sqrt(0.5), np.sqrt(0.5), 1.0, np.sqrt(1.5)])


def draws(n_clusters: int, n_boot: int, weight_type: str, seed) -> tuple[np.ndarray, bool]:
    """(B x G) cluster weights; full enumeration for Rademacher when 2^G <= B."""
    if weight_type not in WEIGHT_TYPES:
        raise InvalidSpecification(f"bootstrap weights must be one of {WEIGHT_TYPES}")
    if weight_type == "rademacher" and 2 ** n_clusters <= n_boot:
        grid = np.array(list(itertools.product([1.0, -1.0], repeat=n_clusters)))
        return grid, True
    rng = np.random.default_rng(seed)
    if weight_type == "rademacher":
        return rng.choice(np.array([-1.0, 1.0]), size=(n_boot, n_clusters)), False
    return rng.choice(_WEBB, size=(n_boot, n_clusters)), False


def _expand(design: Design) -> tuple[np.ndarray, tuple[str, ...], list]:
    """Regressors plus dummies for fixed effects not nested in the clusters."""
    flags = [nested_in(f, design.cluster, design.n_clusters) for f in design.fe]
    nested = [f for f, is_nested in zip(design.fe, flags, strict=False) if is_nested]
    others = [f for f, is_nested in zip(design.fe, flags, strict=False) if not is_nested]
    cols, names = [design.X], list(design.names)
    has_constant = bool(nested) or any(
        np.all(design.X[:, j] == design.X[0, j]) for j in range(design.X.shape[1]))
    for f in others:
        if f.n_levels > MAX_DUMMY_LEVELS:
            raise InvalidSpecification(
                f"fixed effect {f.name!r} has {f.n_levels} levels and is not nested in the "
                "clusters; the wild bootstrap needs it nested or small"
            )
        start = 1 if has_constant else 0
        D = np.zeros((len(design.y), f.n_levels - start))
        rows = np.flatnonzero(f.codes >= start)
        D[rows, f.codes[rows] - start] = 1.0
        cols.append(D)
        names += [f"{f.name}[{i}]" for i in range(start, f.n_levels)]
        has_constant = True
    return np.column_stack(cols), tuple(names), nested


def collapse_cells(design: Design) -> Design:
    """The same design on weighted cell means when every regressor is constant within
    cluster x fixed-effect cells (no respondent-level controls): coefficients, cluster
    scores and hence every bootstrap draw are identical (``u`` enters the scores only
    through its weighted cell sums), and what follows costs cells, not rows."""
    if not design.fe or design.cluster is None:
        return design
    parts = [(design.cluster, design.n_clusters)] + [(f.codes, f.n_levels) for f in design.fe]
    key, n_cells = _prep.combine_codes(parts)
    if n_cells * 2 > len(design.y):
        return design
    w = np.ones(len(design.y)) if design.weights is None else design.weights
    W = np.bincount(key, weights=w, minlength=n_cells)
    if np.any(W <= 0):
        return design
    X = design.X
    Xc = np.column_stack([np.bincount(key, weights=w * X[:, j], minlength=n_cells) / W
                          for j in range(X.shape[1])]) if X.shape[1] else X[:n_cells]
    if X.shape[1] and not np.allclose(Xc[key], X, rtol=0, atol=1e-12):
        return design
    first = np.unique(key, return_index=True)[1]
    yc = np.bincount(key, weights=w * design.y, minlength=n_cells) / W
    fes = tuple(FixedEffect(f.name, f.codes[first], f.n_levels) for f in design.fe)
    return Design(y=yc, X=Xc, names=design.names, fe=fes, weights=W,
                  cluster=design.cluster[first], n_clusters=design.n_clusters,
                  n_rows=design.n_obs)


def wild_cluster_bootstrap(
    design: Design,
    term: str,
    *,
    df_k: int,
    n_boot: int = 999,
    weight_type: str = "rademacher",
    seed=None,
    alpha: float = 0.05,
    null: float = 0.0,
) -> dict:
    """p-value of ``beta_term = null`` and a (1 - alpha) interval by test inversion."""
    G = design.n_clusters
    if design.cluster is None or G < 2:
        raise TooFewClusters("the wild cluster bootstrap needs a cluster column with >= 2 clusters")
    design = collapse_cells(design)
    X, names, nested = _expand(design)
    if term not in names:
        raise InvalidSpecification(f"term {term!r} is not in the model")
    w = design.weights
    Z = demean(np.column_stack([design.y, X]), nested, w)
    if w is not None:
        Z *= np.sqrt(w)[:, None]
    y, X = Z[:, 0], Z[:, 1:]
    k = names.index(term)
    others = [j for j in range(X.shape[1]) if j != k]
    Xo = X[:, others]
    # FWL pieces from the normal equations; pinv tolerates collinear controls (already
    # reported by the main fit) and costs k x k, not n x k
    G_inv = np.linalg.pinv(Xo.T @ Xo)
    coef_x, coef_y = (G_inv @ (Xo.T @ np.column_stack([X[:, k], y]))).T
    xt = X[:, k] - Xo @ coef_x            # x~: term net of the other regressors
    u0 = y - Xo @ coef_y                  # restricted residuals at b = 0
    xx = float(xt @ xt)
    if xx <= 1e-12 * max(1.0, float(X[:, k] @ X[:, k])):
        raise InvalidSpecification(f"term {term!r} is collinear with the other regressors")
    beta = float(xt @ y) / xx
    cl = design.cluster
    if cl is None:  # collapse_cells keeps the clusters; this narrows the type
        raise TooFewClusters("the wild cluster bootstrap needs a cluster column")
    A0 = cluster_sums(xt * u0, cl, G)
    Q = cluster_sums(xt * xt, cl, G)
    XtX_inv = np.linalg.pinv(X.T @ X)
    Sx = cluster_sums(X * xt[:, None], cl, G)
    S0 = cluster_sums(X * u0[:, None], cl, G)
    M0 = Sx @ XtX_inv @ S0.T
    M1 = Sx @ XtX_inv @ Sx.T
    n = design.n_obs
    c = G / (G - 1) * (n - 1) / (n - df_k)
    resid_scores = A0 - beta * Q          # cluster scores at the unrestricted estimate
    se = float(np.sqrt(c * resid_scores @ resid_scores) / xx)
    V, enumerated = draws(G, n_boot, weight_type, seed)
    # Everything a draw needs is linear in b: the bootstrap scores are E0 - b E1 and the
    # numerators n0 - b n1, so each test inversion step costs O(B), not O(B G^2).
    E0 = V * A0[None, :] - V @ M0.T
    E1 = V * Q[None, :] - V @ M1.T
    s00 = np.einsum("ij,ij->i", E0, E0)
    s01 = np.einsum("ij,ij->i", E0, E1)
    s11 = np.einsum("ij,ij->i", E1, E1)
    n0, n1 = V @ A0, V @ Q
    del E0, E1

    def pvalue(b: float) -> float:
        num = (n0 - b * n1) / xx
        ss = np.maximum(s00 - 2 * b * s01 + b * b * s11, 0.0)
        se_star = np.sqrt(c * ss) / xx
        with np.errstate(divide="ignore", invalid="ignore"):
            t_star = num / se_star
        # An exact fit has se == 0: any b other than the estimate is then infinitely far.
        t = (beta - b) / se if se > 0 else (np.inf if beta != b else 0.0)
        return float(np.mean(np.abs(t_star) >= abs(t) - 1e-12 * max(1.0, abs(t))))

    p = pvalue(null)

    def bound(direction: int) -> float:
        step = max(se, 1e-12)
        inside = beta
        outside = beta + direction * step
        for _ in range(60):
            if pvalue(outside) < alpha:
                break
            inside, outside = outside, outside + direction * step
            step *= 2
        else:
            return float(direction * np.inf)
        for _ in range(60):
            mid = 0.5 * (inside + outside)
            if pvalue(mid) < alpha:
                outside = mid
            else:
                inside = mid
            if abs(outside - inside) < 1e-7 * max(se, 1e-12):
                break
        return float(0.5 * (inside + outside))

    return {
        "p_value": p,
        "ci_low": bound(-1),
        "ci_high": bound(+1),
        "estimate": beta,
        "se": se,
        "n_boot": int(V.shape[0]),
        "enumerated": enumerated,
        "weight_type": weight_type,
        "n_clusters": G,
        "seed": seed,
    }
