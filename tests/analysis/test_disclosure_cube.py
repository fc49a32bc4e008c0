"""The small-cell rule on a cube with every margin (``analysis.disclosure.protect``).

The web app publishes every count from one protected cube (wave x jurisdiction x
language x immigrant background); these tests attack the rule itself, without a
database: a small cell must never be published, nor be solvable from the
published margins, nor be pinned down by a small remainder in its line.
"""
from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from analysis.disclosure import derivable, extend_with_margins, protect


def test_primary_and_complementary_cells_in_a_two_way_table() -> None:
    counts = np.array([[50, 9, 40], [60, 70, 80], [30, 30, 30]])
    mask = protect(counts, 10)
    table = extend_with_margins(counts)
    assert mask[0, 1]  # the 9
    assert mask[0].sum() >= 2 and mask[:, 1].sum() >= 2  # its row and column hide another cell each
    assert not mask[-1].any() and not mask[:, -1].any()  # the margins themselves are safe to publish
    assert not derivable(mask).any()
    assert table[-1, -1] == counts.sum()


def test_a_small_margin_is_suppressed_too() -> None:
    counts = np.array([[4, 3], [50, 60]])  # row 0 totals 7
    mask = protect(counts, 10)
    assert mask[0, 2]  # the row total of 7
    assert not derivable(mask).any()


def test_zero_cells_are_published_and_never_complements() -> None:
    counts = np.array([[0, 9, 30], [0, 40, 30]])
    mask = protect(counts, 10)
    assert not mask[:, 0].any()


def test_a_bridge_between_two_cycles_is_broken() -> None:
    """Two 2x2 cycles of suppressed cells joined through one line can pin a cell down; the audit adds cells."""
    counts = np.array([[5, 30, 0, 0], [30, 30, 0, 0], [0, 0, 5, 30], [0, 0, 30, 30]]) + 20
    mask = protect(counts, 30)
    assert not derivable(mask).any()


@settings(max_examples=150, deadline=None, derandomize=True)
@given(arrays(np.int64, st.tuples(st.integers(1, 4), st.integers(1, 5), st.integers(1, 3)),
              elements=st.integers(0, 25)), st.integers(2, 12))
def test_no_suppressed_cell_is_ever_derivable(counts: np.ndarray, k: int) -> None:
    mask = protect(counts, k)
    table = extend_with_margins(counts)
    assert not (((table > 0) & (table < k)) & ~mask).any()  # every small cell hidden
    assert not derivable(mask).any()  # none can be solved for from the published margins
    hidden_per_line = [np.moveaxis(mask, axis, -1).reshape(-1, mask.shape[axis]).sum(axis=1)
                       for axis in range(mask.ndim)]
    assert all(((h == 0) | (h >= 2)).all() for h in hidden_per_line)
    # and the hidden cells of a line whose total is published hold at least k together
    for axis in range(mask.ndim):
        for line_mask, line in zip(_lines(mask, axis), _lines(table, axis), strict=True):
            if not line_mask[-1] and line_mask[:-1].any():
                assert line[:-1][line_mask[:-1]].sum() >= k


def _lines(array: np.ndarray, axis: int) -> np.ndarray:
    return np.moveaxis(array, axis, -1).reshape(-1, array.shape[axis])


def test_two_hidden_cells_of_one_are_not_pinned_down_by_their_total() -> None:
    """Attack: zeros are published, so every hidden cell holds at least 1; a line whose hidden
    cells sum to 2 (total minus the published cells) says each of them is exactly 1."""
    counts = np.array([[1, 1, 50, 50], [40, 40, 40, 40], [40, 40, 40, 40]])
    mask = protect(counts, 10)
    table = extend_with_margins(counts)
    hidden_sum = np.where(mask[0, :-1], table[0, :-1], 0).sum()
    assert mask[0, 0] and mask[0, 1]
    assert mask[0, -1] or hidden_sum >= 10


def test_an_exposed_margin_whose_longest_line_is_all_hidden_gets_a_complement_on_another_line() -> None:
    """Found by the property test: the audit used to try only the longest line through an exposed
    cell, and left it derivable when every non-zero cell there was hidden already."""
    counts = np.array([[[0, 1, 0], [0, 0, 2]], [[2, 0, 0], [0, 0, 0]], [[0, 0, 0], [2, 0, 0]]])
    mask = protect(counts, 2)
    assert not derivable(mask).any()
