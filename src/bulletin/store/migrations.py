"""Named schema migrations: functions registered in order, each applied once per store.

Each backend keeps its own registry (SQLite's is in ``sqlite_migrations``) and
records the names it applied in its ``migrations`` table, so a name, once released,
never changes: it is how an existing store knows what it already has.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Generic, NamedTuple, TypeVar

Connection = TypeVar("Connection")


class Migration(NamedTuple, Generic[Connection]):
    name: str
    apply: Callable[[Connection], None]


class Migrations(Generic[Connection]):
    """An ordered registry: ``@migrations.register("0003_something")`` above a function."""

    def __init__(self) -> None:
        self._items: list[Migration[Connection]] = []

    def register(self, name: str) -> Callable[[Callable[[Connection], None]], Callable[[Connection], None]]:
        if any(item.name == name for item in self._items):
            raise ValueError(f"migration {name!r} is registered twice")
        if self._items and name <= self._items[-1].name:
            # Names sort in the order they apply, so a listing of the table reads as history.
            raise ValueError(f"migration {name!r} must sort after {self._items[-1].name!r}")

        def add(function: Callable[[Connection], None]) -> Callable[[Connection], None]:
            self._items.append(Migration(name, function))
            return function

        return add

    def __iter__(self) -> Iterator[Migration[Connection]]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def pending(self, applied: set[str]) -> list[Migration[Connection]]:
        """The migrations not in ``applied``, in order."""
        return [item for item in self._items if item.name not in applied]
