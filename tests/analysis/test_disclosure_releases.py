"""The rule's extensions for releases: full cells, consistency across releases, publishable cohorts."""
from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.disclosure import (
    derivable_from,
    extend_with_margins,
    full_cells,
    protect,
    protect_consistently,
    publishable_groups,
)


def test_a_full_group_hides_its_members_and_the_zeros_beside_them() -> None:
    counts = np.array([[21, 0], [15, 14]])  # row 0: everyone in category 0
    mask = full_cells(extend_with_margins(counts), axes=(1,))
    assert mask[0, 0] and mask[0, 1] and not mask[0, 2] and not mask[1].any()
    protected = protect(counts, 10, sensitive_axes=(1,))
    assert protected[0, 0] and protected[0, 1]


def test_derivable_from_finds_a_cell_in_the_row_space() -> None:
    published = [np.array([1, 1, 0]), np.array([0, 1, 0])]
    hidden = [np.array([1, 0, 0]), np.array([0, 0, 1])]
    assert derivable_from(published, hidden).tolist() == [True, False]


def test_a_new_release_hides_what_differencing_with_the_old_one_would_give() -> None:
    # Base cells a, b; release 1 published a (a margin of one wave); release 2 adds b, small.
    coverage = np.array([[1, 0], [0, 1], [1, 1]], dtype=bool)  # cells: a, b, a+b
    counts = np.array([20, 3, 23])
    earlier = np.array([[1, 0]], dtype=bool)
    mask = protect_consistently(coverage, counts, np.array([False, True, False]), earlier,
                                np.zeros((0, 2), dtype=bool), fixed=np.array([True, False, False]))
    assert mask.tolist() == [False, True, True]  # a+b would give b = (a+b) - a


def test_one_jurisdiction_cohorts_and_small_cells_are_not_publishable() -> None:
    cells = pd.DataFrame({"jurisdiction": ["A", "A", "B", "C", "B", "C"], "first_treated": [3, 3, 4, 4, 5, 5],
                          "n": [30, 30, 30, 30, 30, 4]})
    assert publishable_groups(cells, "first_treated", "jurisdiction", "n", 10) == {4}
