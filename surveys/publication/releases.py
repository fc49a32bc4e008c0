"""Releases: the only source of the aggregates viewers and API clients see (issue 10).

A release freezes the protected cube of the survey's *closed* waves. It is
made when a wave closes (by a researcher, or lazily on the first read after
its closing date has passed) and when an analyst or admin publishes one.
Each release only adds closed waves: the cells of waves released before are
copied from the previous release, never counted again, so a published cell
never changes. Suppression is chosen consistently with every earlier release
(``analysis.disclosure.protect_consistently``): a cell hidden once stays
hidden, a cell published once stays published, and new complements are
added until the union of everything ever published determines no hidden cell
(the linear system an attacker would solve). A response in an open wave
therefore changes nothing a viewer sees until its wave closes, and then it is
one of many. Every release is recorded in the audit log.

Past 300 lines on purpose: freezing, merging, the union check's coverage and the cache of
released cubes stay together, so no surface can read a release differently from how it was made.
"""
from __future__ import annotations

import json
import threading
import time
from datetime import date

import numpy as np
from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from analysis.disclosure import extend_with_margins, protect, protect_consistently

from ..accounts.audit import record
from ..extensions import db
from ..models import Release, Researcher, Survey, Wave
from .cube import IMMIGRANT_LEVELS, MEASURES, BaseCells, ProtectedCube, count_cells, min_cell_size, recheck_seconds

# Language (axis 2) and immigrant background (axis 3) are the sensitive attributes: a group
# held entirely by one of their categories is hidden like a small cell.
SENSITIVE_AXES = (2, 3)


class NothingToRelease(ValueError):
    """No wave has closed since the last release."""


def closed_waves(survey: Survey, today: date | None = None) -> list[Wave]:
    """Waves closed by a researcher or past their closing date."""
    today = today or date.today()
    return [w for w in survey.waves if w.closed or w.closes_on < today]


def latest_release(survey: Survey) -> Release | None:
    return db.session.scalar(select(Release).where(Release.survey_id == survey.id)
                             .order_by(Release.number.desc()).limit(1))


# --- the frozen cube ---------------------------------------------------------------------------


def _decode(release: Release) -> dict:
    return json.loads(release.cube)


def _arrays(data: dict) -> tuple[BaseCells, np.ndarray, dict[str, np.ndarray]]:
    base = BaseCells(tuple(data["waves"]), tuple(data["jurisdictions"]), tuple(data["languages"]),
                     np.array(data["counts"], dtype=np.int64).reshape(data["shape"]),
                     {m: np.array(data["n"][m], dtype=np.int64).reshape(data["shape"]) for m in MEASURES},
                     {m: np.array(data["sum"][m], dtype=float).reshape(data["shape"]) for m in MEASURES},
                     {m: np.array(data["sumsq"][m], dtype=float).reshape(data["shape"]) for m in MEASURES})
    extended = [s + 1 for s in data["shape"]]
    mask = np.array(data["mask"], dtype=bool).reshape(extended)
    measure_mask = {m: np.array(data["measure_mask"][m], dtype=bool).reshape(extended) for m in MEASURES}
    return base, mask, measure_mask


def _encode(base: BaseCells, mask: np.ndarray, measure_mask: dict[str, np.ndarray]) -> str:
    return json.dumps({
        "waves": list(base.wave_numbers), "jurisdictions": list(base.jurisdiction_codes),
        "languages": list(base.languages), "shape": list(base.counts.shape),
        "counts": base.counts.ravel().tolist(),
        "n": {m: base.n[m].ravel().tolist() for m in MEASURES},
        "sum": {m: base.sums[m].ravel().tolist() for m in MEASURES},
        "sumsq": {m: base.sumsq[m].ravel().tolist() for m in MEASURES},
        "mask": mask.ravel().tolist(),
        "measure_mask": {m: measure_mask[m].ravel().tolist() for m in MEASURES},
    })


def _cube(survey_id: int, k: int, base: BaseCells, mask: np.ndarray,
          measure_mask: dict[str, np.ndarray]) -> ProtectedCube:
    cube = ProtectedCube(survey_id=survey_id, min_cell_size=k, rows=int(base.counts.sum()),
                         wave_numbers=base.wave_numbers, jurisdiction_codes=base.jurisdiction_codes,
                         languages=base.languages, counts=extend_with_margins(base.counts), mask=mask)
    for name in MEASURES:
        cube.measure_n[name] = extend_with_margins(base.n[name])
        cube.measure_sum[name] = extend_with_margins(base.sums[name])
        cube.measure_sumsq[name] = extend_with_margins(base.sumsq[name])
        cube.measure_mask[name] = measure_mask[name]
    return cube


# --- coverage: which base cells each published cell sums --------------------------------------


def _base_keys(base: BaseCells) -> list[tuple]:
    return [(w, j, lang, i) for w in base.wave_numbers for j in base.jurisdiction_codes
            for lang in base.languages for i in IMMIGRANT_LEVELS]


def _coverage(base: BaseCells, keys: dict[tuple, int]) -> np.ndarray:
    """One row per cell of the extended cube, one column per base cell of ``keys`` (0/1)."""
    matrix: np.ndarray = np.ones((1, 1), dtype=np.int8)
    for size in base.counts.shape:
        matrix = np.kron(matrix, np.vstack([np.eye(size, dtype=np.int8), np.ones((1, size), dtype=np.int8)]))
    out = np.zeros((matrix.shape[0], len(keys)), dtype=bool)
    columns = [keys[key] for key in _base_keys(base)]
    out[:, columns] = matrix.astype(bool)
    return out


def _merge(previous: BaseCells | None, fresh: BaseCells) -> BaseCells:
    """The previous release's frozen cells followed by the newly closed waves' cells."""
    if previous is None:
        return fresh
    waves = previous.wave_numbers + fresh.wave_numbers
    places = previous.jurisdiction_codes + tuple(c for c in fresh.jurisdiction_codes
                                                 if c not in previous.jurisdiction_codes)
    languages = tuple(sorted(set(previous.languages) | set(fresh.languages)))
    shape = (len(waves), len(places), len(languages), len(IMMIGRANT_LEVELS))

    def place(target: np.ndarray, source: BaseCells, array: np.ndarray, offset: int) -> None:
        j = [places.index(c) for c in source.jurisdiction_codes]
        lang = [languages.index(c) for c in source.languages]
        for wi in range(len(source.wave_numbers)):
            target[np.ix_([offset + wi], j, lang, range(len(IMMIGRANT_LEVELS)))] = array[[wi]]

    def combine(get) -> np.ndarray:
        first = get(previous)
        target = np.zeros(shape, dtype=first.dtype)
        place(target, previous, first, 0)
        place(target, fresh, get(fresh), len(previous.wave_numbers))
        return target

    return BaseCells(waves, places, languages, combine(lambda b: b.counts),
                     {m: combine(lambda b, m=m: b.n[m]) for m in MEASURES},
                     {m: combine(lambda b, m=m: b.sums[m]) for m in MEASURES},
                     {m: combine(lambda b, m=m: b.sumsq[m]) for m in MEASURES})


def _consistent_mask(counts: np.ndarray, coverage: np.ndarray, k: int, earlier: list[tuple[np.ndarray, np.ndarray]],
                     initial: np.ndarray | None = None, sensitive: tuple[int, ...] = ()) -> np.ndarray:
    """Protect ``counts`` within the release, then against the union with ``earlier`` (coverage, mask) pairs."""
    extended_shape = tuple(s + 1 for s in counts.shape)
    published_rows = [cov[~m] for cov, m in earlier]
    hidden_rows = [cov[m] for cov, m in earlier]
    published = np.vstack(published_rows) if published_rows else np.zeros((0, coverage.shape[1]), dtype=bool)
    hidden = np.vstack(hidden_rows) if hidden_rows else np.zeros((0, coverage.shape[1]), dtype=bool)
    hidden_keys = {row.tobytes() for row in hidden}
    published_keys = {row.tobytes() for row in published}
    forced = np.array([row.tobytes() in hidden_keys for row in coverage]).reshape(extended_shape)
    fixed = np.array([row.tobytes() in published_keys for row in coverage])
    start = forced if initial is None else forced | initial
    mask = protect(counts, k, initial=start, sensitive_axes=sensitive).ravel()
    mask = protect_consistently(coverage, extend_with_margins(counts).ravel(), mask, published, hidden, fixed)
    return mask.reshape(extended_shape)


def publish_release(survey: Survey, actor: Researcher | None, kind: str = "manual",
                    today: date | None = None) -> Release:
    """Freeze and store a new release adding the waves closed since the last one; audited, not committed.

    Raises :class:`NothingToRelease` when no wave has closed since the last release.
    """
    previous = latest_release(survey)
    earlier_releases = db.session.scalars(select(Release).where(Release.survey_id == survey.id)
                                          .order_by(Release.number)).all()
    released = set(previous.waves) if previous is not None else set()
    new_waves = [w for w in closed_waves(survey, today) if w.number not in released]
    if not new_waves:
        raise NothingToRelease("no wave has closed since the last release")
    _write_out_buffer(survey)
    old_base = _arrays(_decode(previous))[0] if previous is not None else None
    fresh = count_cells(survey, new_waves)
    base = _merge(old_base, fresh)
    if previous is not None and int(fresh.counts.sum()) == 0:
        quiet = _empty_waves_release(survey, actor, kind, previous, base, new_waves)
        if quiet is not None:
            return quiet
    keys = {key: i for i, key in enumerate(_base_keys(base))}
    coverage = _coverage(base, keys)
    k = min_cell_size(survey)
    earlier_counts: list[tuple[np.ndarray, np.ndarray]] = []
    earlier_measures: dict[str, list[tuple[np.ndarray, np.ndarray]]] = {m: [] for m in MEASURES}
    for release in earlier_releases:
        old, old_mask, old_measure_masks = _arrays(_decode(release))
        old_coverage = _coverage(old, keys)
        earlier_counts.append((old_coverage, old_mask.ravel()))
        for m in MEASURES:
            earlier_measures[m].append((old_coverage, old_measure_masks[m].ravel()))
    mask = _consistent_mask(base.counts, coverage, k, earlier_counts, sensitive=SENSITIVE_AXES)
    # A mean resting on fewer than k valid answers is hidden too (with its complements). Where the
    # measure hides exactly what the counts hide, now and in every earlier release, its published
    # system is the counts' one, already consistent: no second union check is needed.
    measure_mask = {}
    for m in MEASURES:
        alone = protect(base.n[m], k, initial=mask)
        same_before = all(np.array_equal(mm, cm) for (_, mm), (_, cm) in zip(earlier_measures[m], earlier_counts,
                                                                             strict=True))
        measure_mask[m] = mask if same_before and np.array_equal(alone, mask) else _consistent_mask(
            base.n[m], coverage, k, earlier_measures[m], initial=mask)
    release = Release(survey_id=survey.id, number=(previous.number + 1) if previous else 1, kind=kind,
                      created_by_id=actor.id if actor is not None else None, min_cell_size=k,
                      waves=list(base.wave_numbers), cube=_encode(base, mask, measure_mask))
    db.session.add(release)
    db.session.flush()
    record("release.publish", actor=actor, organisation_id=survey.organisation_id, target=f"survey:{survey.id}",
           parameters={"release": release.number, "kind": kind, "waves": release.waves,
                       "added_waves": [w.number for w in new_waves], "min_cell_size": k,
                       "suppressed_cells": int(mask.sum())})
    return release


def _empty_waves_release(survey: Survey, actor: Researcher | None, kind: str, previous: Release,
                         base: BaseCells, new_waves: list[Wave]) -> Release | None:
    """A release adding waves without a single response: their cells are published zeros.

    Every other cell keeps the previous release's value and its suppression (a
    cumulative margin plus zeros is the margin it was), so the union derives
    nothing new. None when the shape changed otherwise (new places or languages).
    """
    _, old_mask, old_measure_masks = _arrays(_decode(previous))
    if old_mask.shape[1:] != tuple(s + 1 for s in base.counts.shape[1:]):
        return None

    def widened(mask: np.ndarray) -> np.ndarray:
        quiet = np.zeros((len(new_waves), *mask.shape[1:]), dtype=bool)
        return np.concatenate([mask[:-1], quiet, mask[-1:]], axis=0)

    mask = widened(old_mask)
    measure_mask = {m: widened(old_measure_masks[m]) for m in MEASURES}
    release = Release(survey_id=survey.id, number=previous.number + 1, kind=kind,
                      created_by_id=actor.id if actor is not None else None, min_cell_size=previous.min_cell_size,
                      waves=list(base.wave_numbers), cube=_encode(base, mask, measure_mask))
    db.session.add(release)
    db.session.flush()
    record("release.publish", actor=actor, organisation_id=survey.organisation_id, target=f"survey:{survey.id}",
           parameters={"release": release.number, "kind": kind, "waves": release.waves,
                       "added_waves": [w.number for w in new_waves], "min_cell_size": release.min_cell_size,
                       "suppressed_cells": int(mask.sum())})
    return release


def _write_out_buffer(survey: Survey) -> None:
    """Move the survey's buffered responses to the response tables before counting a closed wave.

    Responses wait in the buffer (``studies.write_out``) until a batch of k is
    reached, so a wave closed by its date may still have some there: a release
    made without them would freeze the wave short of answers for good. Only
    reached when a new wave is being released, so pressing "Publish" again
    cannot force small batches out.
    """
    from ..studies.write_out import buffered_count, flush_survey  # write_out -> audit -> models

    if buffered_count(survey.id):
        db.session.commit()  # flush_survey runs its own write transaction on this session
        flush_survey(survey.id, reason="release")


def current_release(survey: Survey) -> Release | None:
    """The latest release, publishing one first when a wave has closed (by its date) since the last."""
    release = latest_release(survey)
    released = set(release.waves) if release is not None else set()
    if any(w.number not in released for w in closed_waves(survey)):
        try:
            release = publish_release(survey, None, kind="wave_closed")
            db.session.commit()
        except IntegrityError:  # another request published it first
            db.session.rollback()
            release = latest_release(survey)
    return release


# --- the cache of released cubes ----------------------------------------------------------------


def _cache() -> tuple[dict, threading.Lock]:
    return current_app.extensions.setdefault("cts_release_cache", ({}, threading.Lock()))


def empty_cube(survey: Survey) -> ProtectedCube:
    base = count_cells(survey, [])
    return _cube(survey.id, min_cell_size(survey), base, np.zeros([s + 1 for s in base.counts.shape], bool),
                 {m: np.zeros([s + 1 for s in base.counts.shape], bool) for m in MEASURES})


def protected_cube(survey: Survey) -> ProtectedCube:
    """The cube of the survey's latest release (empty before any wave has closed).

    The latest release is looked up at most every ``AGGREGATE_RECHECK_SECONDS``;
    a release never changes, so its decoded cube is cached by release id.
    """
    store, lock = _cache()
    now = time.monotonic()
    with lock:
        hit = store.get(survey.id)
    if hit is not None and now - hit["checked"] < recheck_seconds():
        return hit["cube"]
    release = current_release(survey)
    if release is None:
        cube = empty_cube(survey)
        release_id = None
    elif hit is not None and hit["release"] == release.id:
        cube = hit["cube"]
        release_id = release.id
    else:
        base, mask, measure_mask = _arrays(_decode(release))
        cube = _cube(survey.id, release.min_cell_size, base, mask, measure_mask)
        release_id = release.id
    cube.release = release.number if release is not None else None
    with lock:
        store[survey.id] = {"cube": cube, "release": release_id, "checked": now}
    return cube


def invalidate(survey_id: int) -> None:
    """Forget a survey's cached release cube (after publishing, say)."""
    store, lock = _cache()
    with lock:
        store.pop(survey_id, None)
