"""Every change govlake makes to a library's internals, one module per library.

* :mod:`govlake.patches.gx`: Great Expectations (a suite run's fixed cost per expectation);
* :mod:`govlake.patches.dbt`: dbt-core / dbt-common (what each build process pays at start-up);
* :mod:`govlake.patches.dbt_duckdb`: dbt-duckdb (releasing its process-wide database).

Each module was written against one release of its library and says which (a
:class:`PatchSet`). On that release its patches apply; on any other they stay off, or are
taken off again, and the library runs as shipped: slower, never different. The patches are
applied when they are first needed (not on import), and the version is checked there.
``tests/test_patches.py`` runs both paths and compares them with the library's own results.
"""

from __future__ import annotations

import functools
from importlib.metadata import PackageNotFoundError, version
from typing import Any


@functools.cache
def installed(distribution: str) -> str | None:
    """The installed version of ``distribution``, None if it is not installed."""
    try:
        return version(distribution)
    except PackageNotFoundError:
        return None


class PatchSet:
    """The attributes one module replaces in one library, and the stock values it keeps.

    ``apply`` replaces an attribute only when the installed version is ``written_for``;
    on any other version it puts back whatever it replaced before and reports False, so the
    caller takes the stock path. ``restore`` puts everything back.
    """

    def __init__(self, distribution: str, written_for: str) -> None:
        self.distribution = distribution
        self.written_for = written_for
        self._stock: dict[tuple[int, str], tuple[Any, Any]] = {}  # (owner, name) → stock

    def applies(self) -> bool:
        """True if the installed library is the release these patches were written for."""
        return installed(self.distribution) == self.written_for

    def apply(self, owner: Any, name: str, make: Any) -> bool:
        """Replace ``owner.name`` (a module's or class's own attribute) with
        ``make(stock)``, once; False (and nothing replaced) on another version."""
        if not self.applies():
            self.restore()
            return False
        key = (id(owner), name)
        if key not in self._stock:
            stock = vars(owner)[name]
            self._stock[key] = (owner, stock)
            setattr(owner, name, make(stock))
        return True

    def stock(self, owner: Any, name: str) -> Any:
        """What ``owner.name`` was before this set replaced it (as it is, if it did not)."""
        return self._stock.get((id(owner), name), (owner, vars(owner)[name]))[1]

    def restore(self) -> None:
        """Put every replaced attribute back: the library as shipped."""
        for (_, name), (owner, stock) in self._stock.items():
            setattr(owner, name, stock)
        self._stock.clear()

    def __repr__(self) -> str:
        state = "applied" if self._stock else "not applied"
        return f"PatchSet({self.distribution}=={self.written_for}, {state})"
