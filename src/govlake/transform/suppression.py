"""Small-cell suppression of a count cube published with all its totals.

Primary suppression hides every cell (totals included) under the threshold. Complementary
suppression then makes sure no hidden cell can be worked out from the published totals: each
total and the cells it adds up form one linear equation; a hidden cell is recoverable exactly
when its unit vector lies in the row space of those equations restricted to the hidden cells
(equivalently: its row of the null space is zero). Until none is, the smallest visible cell of
an equation that pins a hidden cell down is hidden too. The dbt model
``int_population_cube_suppressed`` and the tests call the same functions.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import product

Cell = tuple[str, ...]
TOTAL = "合计"


def cube(
    counts: dict[Cell, int], dims: Sequence[Sequence[str]], total: str = TOTAL
) -> dict[Cell, int]:
    """Every cell of the cube with ``total`` added to each dimension (margins summed)."""
    out: dict[Cell, int] = {}
    for cell in product(*[[*d, total] for d in dims]):
        out[cell] = sum(
            v
            for k, v in counts.items()
            if all(c in (total, kk) for c, kk in zip(cell, k, strict=True))
        )
    return out


def equations(dims: Sequence[Sequence[str]], total: str = TOTAL) -> list[tuple[Cell, list[Cell]]]:
    """(total cell, the cells it adds up) for every line of the cube along every dimension."""
    out = []
    levels = [[*d, total] for d in dims]
    for axis, members in enumerate(dims):
        others = [lv for i, lv in enumerate(levels) if i != axis]
        for fixed in product(*others):

            def at(value: str, fixed: tuple = fixed, axis: int = axis) -> Cell:
                cell = list(fixed)
                cell.insert(axis, value)
                return tuple(cell)

            out.append((at(total), [at(m) for m in members]))
    return out


def recoverable(hidden: set[Cell], eqs: list[tuple[Cell, list[Cell]]]) -> set[Cell]:
    """The hidden cells the published cells and totals determine exactly."""
    if not hidden:
        return set()
    import numpy as np  # here: district cubes mostly hide nothing; loading numpy takes ~0.2 s

    index = {c: i for i, c in enumerate(sorted(hidden))}
    rows = []
    for total, members in eqs:
        row = np.zeros(len(index))
        for c, sign in [(total, -1.0), *[(m, 1.0) for m in members]]:
            if c in index:
                row[index[c]] += sign
        if row.any():
            rows.append(row)
    if not rows:
        return set()
    a = np.array(rows)
    _, s, vt = np.linalg.svd(a)
    rank = int((s > 1e-9 * max(1.0, s[0])).sum())
    null = vt[rank:].T  # columns span the null space
    return {c for c, i in index.items() if null.shape[1] == 0 or np.abs(null[i]).max() < 1e-9}


def suppress(
    values: dict[Cell, int],
    dims: Sequence[Sequence[str]],
    threshold: int = 10,
    total: str = TOTAL,
) -> set[Cell]:
    """The cells to hide: under ``threshold`` plus complements so none is recoverable."""
    eqs = equations(dims, total)
    hidden = {c for c, v in values.items() if v < threshold}
    while True:
        changed = True
        while changed:  # cheap pass: no equation may hide exactly one of its cells
            changed = False
            for tot, members in eqs:
                line = [tot, *members]
                if sum(c in hidden for c in line) == 1:
                    hidden.add(_smallest_visible(line, hidden, values, tot))
                    changed = True
        exposed = recoverable(hidden, eqs)
        if not exposed:
            return hidden
        cell = min(exposed)
        line = next(
            (
                [tot, *members]
                for tot, members in eqs
                if cell in (tot, *members) and any(c not in hidden for c in (tot, *members))
            ),
            None,
        )
        if line is None:  # every equation around it is hidden already: nothing left to hide
            return hidden
        hidden.add(_smallest_visible(line, hidden, values, line[0]))


def _smallest_visible(line: list[Cell], hidden: set[Cell], values: dict[Cell, int], tot: Cell):
    visible = [c for c in line if c not in hidden]
    # prefer hiding an inner cell over a total, then the smallest value
    return min(visible, key=lambda c: (c == tot, values[c], c))
