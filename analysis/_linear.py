"""Runner shared by the linear estimators (pre/post, DiD, DDD).

The public functions validate their arguments and build a frozen
:class:`LinearSpec`; :func:`run` turns it into a :class:`Design`, fits it,
chooses the inference and packs an :class:`EffectResult`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from . import _prep, _ri
from ._ols import Design, FixedEffect, fit
from ._wild import wild_cluster_bootstrap
from .errors import AnalysisError, InvalidSpecification, TooFewClusters
from .results import EffectResult

SE_TYPES = ("auto", "classical", "hc1", "cluster", "wild")
FEW_CLUSTERS = 30
MIN_CLUSTERS = {"cluster": 2, "wild": 4}


@dataclass(frozen=True)
class LinearSpec:
    """A linear effect specification (what the estimator was asked)."""

    kind: str
    outcome: str
    term: str
    indicators: tuple[str, ...]          # columns multiplied into the interaction terms
    terms: tuple[tuple[str, ...], ...]   # each regressor: product of these columns
    fixed_effects: tuple[tuple[str, ...], ...] = ()
    controls: tuple[str, ...] = ()
    weights: str | None = None
    cluster: str | None = None
    se: str = "auto"
    alpha: float = 0.05
    n_boot: int = 999
    boot_weights: str = "auto"
    seed: int | None = 0
    intercept: bool = True
    group_cols: tuple[str, ...] = ()
    inference: str = "auto"
    ri_unit: str | None = None            # jurisdiction and wave columns whose adoption
    ri_time: str | None = None            # dates randomization inference permutes


INFERENCE = ("auto", "cluster", "wild", "bootstrap", "ri")


def check_common(df: pd.DataFrame, se: str, alpha: float, n_boot: int, boot_weights: str) -> None:
    _prep.require_frame(df)
    if se not in SE_TYPES:
        raise InvalidSpecification(f"se must be one of {', '.join(SE_TYPES)}, got {se!r}")
    if not 0 < alpha < 1:
        raise InvalidSpecification(f"alpha must be in (0, 1), got {alpha}")
    if int(n_boot) < 99:
        raise InvalidSpecification(f"n_boot must be at least 99, got {n_boot}")
    if boot_weights not in ("auto", "rademacher", "webb"):
        raise InvalidSpecification("boot_weights must be auto, rademacher or webb")


def resolve_se(se: str, inference: str) -> str:
    """``inference`` (the newer option) picks the errors unless it is ``auto``/``ri``."""
    if inference not in INFERENCE:
        raise InvalidSpecification(f"inference must be one of {', '.join(INFERENCE)}")
    if inference in ("wild", "bootstrap"):
        return "wild"
    if inference == "cluster":
        return "cluster"
    return se


def _try_ri(spec: LinearSpec, df: pd.DataFrame, y, w, ind) -> dict | str:
    """Randomization inference for did/ddd, or the reason it cannot run."""
    if not (spec.ri_unit and spec.ri_time):
        return "randomization inference needs unit= and time= (the jurisdictions to permute)"
    if spec.controls:
        return "randomization inference is not available with controls"
    ucode, J = _prep.codes(df[[spec.ri_unit]])
    try:
        t = _prep.numeric(df, spec.ri_time, "time")
    except AnalysisError:
        return f"randomization inference needs a numeric time column ({spec.ri_time!r} is not)"
    times = np.unique(t)
    tpos = np.searchsorted(times, t)
    d = ind[spec.indicators[0]] * ind[spec.indicators[1]]
    first = _ri.adoption_from_indicator(ucode, tpos, d, J, len(times))
    if first is None:
        return "treatment is not an adoption (switched on once per jurisdiction and kept)"
    ww = np.ones(len(y)) if w is None else w
    if spec.kind == "ddd":
        H, r = _ri.ddd_cells(ucode, tpos, ind[spec.indicators[2]].astype(int), ww, y, J,
                             len(times))
    else:
        H, S = _ri.tables(ucode, tpos, ww, y, J, len(times))
        r = np.where(H > 0, S / np.where(H > 0, H, 1.0), 0.0)
    out = _ri.linear_ri(H, r, first, alpha=spec.alpha, n_perm=spec.n_boot, seed=spec.seed)
    out["n_jurisdictions"] = int(J)
    return out


def term_name(cols) -> str:
    return ":".join(cols)


def run(spec: LinearSpec, data: pd.DataFrame) -> EffectResult:
    """Fit ``spec`` on ``data`` and return the result."""
    fe_cols = [c for group in spec.fixed_effects for c in group]
    used = [spec.outcome, *spec.indicators, *spec.controls, *fe_cols]
    used += [c for c in (spec.weights, spec.cluster) if c]
    _prep.require_columns(data, {"outcome": spec.outcome, "indicator": list(spec.indicators),
                                 "control": list(spec.controls), "fixed-effect": fe_cols,
                                 "weights": spec.weights, "cluster": spec.cluster})
    df = _prep.complete_rows(data, used)
    notes = []
    if len(df) < len(data):
        notes.append(f"{len(data) - len(df)} rows with missing values dropped")
    y = _prep.numeric(df, spec.outcome, "outcome")
    ind = {c: _prep.binary(df, c, "indicator") for c in spec.indicators}
    for c, x in ind.items():
        _prep.require_varies(x, c, "indicator")
    w = _prep.weights_array(df, spec.weights)
    if w is not None and not (w > 0).any():
        raise InvalidSpecification(f"weights column {spec.weights!r} is zero everywhere")
    cols, names = [], []
    if spec.intercept and not spec.fixed_effects:
        cols.append(np.ones(len(df)))
        names.append("Intercept")
    for t in spec.terms:
        cols.append(np.prod([ind[c] for c in t], axis=0))
        names.append(term_name(t))
    for c in spec.controls:
        cols.append(_prep.numeric(df, c, "control"))
        names.append(c)
    cache: dict = {}

    def coded(cols):
        key = tuple(cols)
        if key not in cache:
            cache[key] = _prep.codes(df[list(cols)])
        return cache[key]

    fes = tuple(FixedEffect("^".join(g), *coded(g)) for g in spec.fixed_effects)
    cl, G = (None, 0)
    if spec.cluster:
        cl, G = coded((spec.cluster,))
    design = Design(y=y, X=np.column_stack(cols), names=tuple(names), fe=fes, weights=w,
                    cluster=cl, n_clusters=G)
    se = resolve_se(spec.se, spec.inference)
    ri: dict | str | None = None
    if spec.kind in ("did", "ddd") and (spec.inference == "ri" or (
            spec.inference == "auto" and se == "auto" and spec.ri_unit and spec.ri_time)):
        ri = _try_ri(spec, df, y, w, ind)
        if isinstance(ri, str) and spec.inference == "ri":
            raise InvalidSpecification(ri)
        if isinstance(ri, dict) and spec.inference == "auto" and (
                min(ri["n_treated"], ri["n_control"]) >= _ri.FEW_TREATED):
            ri = None
    if spec.inference == "ri" and se == "auto":
        se = "cluster" if spec.cluster else "hc1"
    if isinstance(ri, dict) and se == "auto":
        se = "cluster"
    if se == "auto":
        se = ("wild" if G < FEW_CLUSTERS else "cluster") if spec.cluster else "hc1"
    if se in MIN_CLUSTERS:
        if not spec.cluster:
            raise InvalidSpecification(f"se={se!r} needs a cluster column (cluster=...)")
        if G < MIN_CLUSTERS[se]:
            raise TooFewClusters(
                f"{'wild bootstrap' if se == 'wild' else 'clustered'} standard errors need at "
                f"least {MIN_CLUSTERS[se]} clusters of {spec.cluster!r}, found {G}")
    res = fit(design, "cluster" if se == "wild" else se)
    if spec.term not in res.names:
        raise InvalidSpecification(
            f"{spec.term} cannot be estimated: it is collinear with the fixed effects or "
            "controls (does treatment vary within the comparison?)")
    if res.dropped:
        notes.append(f"dropped as collinear: {', '.join(res.dropped)}")
    tidy = res.tidy(spec.alpha)
    extras: dict = {"r2_within": res.r2_within, "df_resid": res.df_t}
    if se in ("cluster", "wild"):
        inference = f"CRV1 clustered by {spec.cluster} ({G} clusters), t({G - 1})"
        if G < FEW_CLUSTERS:
            notes.append(f"only {G} clusters: cluster-robust errors can be too small; "
                         "the wild cluster bootstrap is the safer inference")
    elif se == "hc1":
        inference = "HC1 heteroskedasticity-robust"
        if not spec.cluster:
            inference += " (no cluster column given)"
            notes.append("no cluster column: HC1 treats respondents as independent, but "
                         "respondents in one jurisdiction and wave share its shocks; pass "
                         "cluster= (the jurisdiction) or unit= and time=")
    else:
        inference = "classical (homoskedastic)"
    if se == "wild":
        bw = spec.boot_weights
        if bw == "auto":
            bw = "webb" if G < 12 else "rademacher"
        boot = wild_cluster_bootstrap(design, spec.term, df_k=res.df_k, n_boot=spec.n_boot,
                                      weight_type=bw, seed=spec.seed, alpha=spec.alpha)
        i = tidy.index[tidy["term"] == spec.term][0]
        tidy.loc[i, ["p_value", "ci_low", "ci_high"]] = [boot["p_value"], boot["ci_low"],
                                                         boot["ci_high"]]
        extras["bootstrap"] = boot
        extras["crv1"] = res.tidy(spec.alpha).set_index("term").loc[spec.term].to_dict()
        inference = (f"wild cluster bootstrap-t (restricted, {bw} weights, {boot['n_boot']} "
                     f"{'enumerated ' if boot['enumerated'] else ''}draws) by {spec.cluster} "
                     f"({G} clusters); SE is CRV1")
    if isinstance(ri, dict):
        i = tidy.index[tidy["term"] == spec.term][0]
        tidy.loc[i, ["p_value", "ci_low", "ci_high"]] = [ri["p_value"], ri["ci_low"],
                                                         ri["ci_high"]]
        few = min(ri["n_treated"], ri["n_control"])
        ri["reason"] = (f"only {few} {'treated' if ri['n_treated'] <= ri['n_control'] else 'untreated'}"
                        f" jurisdictions (fewer than {_ri.FEW_TREATED}): cluster-robust errors "
                        "and the wild bootstrap cannot see the treated side's shocks"
                        if few < _ri.FEW_TREATED else "requested")
        extras["randomization"] = ri
        inference = (f"randomization inference: {ri['n_assignments']} "
                     f"{'(all) ' if ri['enumerated'] else 'random '}permutations of adoption "
                     f"dates across {ri['n_jurisdictions']} jurisdictions ({ri['reason']}); "
                     f"SE is {'CRV1' if se in ('cluster', 'wild') else se}")
    elif isinstance(ri, str):
        notes.append(f"{ri}; {inference} used")
    extras["inference"] = _inference_info(ri, se, spec, G, extras)
    n_by = indicator_counts({c: ind[c] for c in spec.group_cols}, y, w)
    spec_d = {k: v for k, v in asdict(spec).items()}
    spec_d.update(se=se, n_clusters=G, df_k=res.df_k)
    return EffectResult(
        kind=spec.kind, term=spec.term, _tidy=tidy, spec=spec_d, n_obs=res.n_obs,
        n_by_group=n_by, fingerprint=_prep.fingerprint(df), inference=inference,
        notes=tuple(notes), extras=extras,
    )


def _inference_info(ri, se: str, spec: LinearSpec, G: int, extras: dict) -> dict:
    """Which inference ran, with what, and why (the JSON record of it)."""
    if isinstance(ri, dict):
        return {"method": "randomization", "n_clusters": G, "n_draws": ri["n_assignments"],
                "enumerated": ri["enumerated"], "reason": ri["reason"]}
    if se == "wild":
        b = extras["bootstrap"]
        return {"method": "wild", "n_clusters": G, "n_draws": b["n_boot"],
                "enumerated": b["enumerated"], "weights": b["weight_type"],
                "reason": "few clusters" if spec.se == "auto" else "requested"}
    reason = "requested" if spec.se != "auto" else (
        f"{G} clusters" if spec.cluster else "no cluster column given")
    return {"method": se, "n_clusters": G, "n_draws": 0, "reason": reason}


def indicator_counts(indicators: dict, y: np.ndarray, w) -> pd.DataFrame:
    """Rows, summed weights and mean outcome per combination of 0/1 indicators."""
    names = list(indicators)
    code = np.zeros(len(y), dtype=np.int64)
    for k, c in enumerate(names):
        code += indicators[c].astype(np.int64) << k
    size = 1 << len(names)
    ww = np.ones(len(y)) if w is None else w
    n = np.bincount(code, minlength=size)
    W = np.bincount(code, weights=ww, minlength=size)
    S = np.bincount(code, weights=ww * y, minlength=size)
    keep = np.flatnonzero(n > 0)
    out = pd.DataFrame({c: (keep >> k) & 1 for k, c in enumerate(names)})
    out["n"], out["weight"] = n[keep], W[keep]
    out["mean"] = S[keep] / W[keep]
    return out.sort_values(names, kind="stable").reset_index(drop=True)


def group_counts(df: pd.DataFrame, groups, outcome: str, w) -> pd.DataFrame:
    """Rows, summed weights and mean outcome per design cell."""
    if not groups:
        return pd.DataFrame({"n": [len(df)]})
    y = _prep.numeric(df, outcome)
    ww = np.ones(len(df)) if w is None else w
    tmp = pd.DataFrame({g: df[g].to_numpy() for g in groups})
    tmp["_w"], tmp["_wy"] = ww, ww * y
    out = tmp.groupby(groups, sort=True).agg(n=("_w", "size"), weight=("_w", "sum"),
                                             wy=("_wy", "sum")).reset_index()
    out["mean"] = out.pop("wy") / out["weight"]
    return out
