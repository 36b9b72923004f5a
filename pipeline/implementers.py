"""Tell which implementing units of a register a unit is, by an index rather than by testing each in turn."""

from __future__ import annotations

from bisect import bisect_left
from collections import defaultdict
from collections.abc import Iterable

from pipeline.offices import Offices, is_written_in_full, office_key


def implements(unit: str, implementer: str, offices: Offices) -> bool:
    """Say whether `unit` is the implementing unit a register row names (by its full name or one it abbreviates)."""
    if unit == implementer or any(o.name == unit for o in offices.named(implementer)):
        return True
    # Two offices the registry does not list, one the other's name cut short: a register naming 溧河街道 in one year
    # and 溧河街道办事处 in another names one office, whose list naming no project was returned as having none.
    # Asked for every register row a file's unit is matched against: the cheap test of the names first, as looking
    # an unlisted office up among the listed ones compares it with each (11 s of a 10,000-file night's loader).
    if not (is_written_in_full(unit, implementer) or is_written_in_full(implementer, unit)):
        return False
    return all(o not in offices.offices for name in (unit, implementer) for o in offices.named(name))


def is_implementer(unit: str | None, implementer: str | None, offices: Offices | None) -> bool:
    """Say whether `unit` is a register's `implementer`; without the office registry, by its exact name only."""
    # A register naming its implementing unit short (实施单位：枣林街道) names the office its folder does.
    if implementer == unit:
        return True
    return offices is not None and unit is not None and implements(unit, implementer or "", offices)


class Implementers:
    """A register's implementing units, indexed by the names that can make a unit one of them.

    `projects_of` asked `is_implementer` of every implementing unit of a project type for each sheet naming no
    project: 377,200 tests in a 10,000-file night, 5.4 s of its loader under cProfile. A unit is only ever its own
    name, the name of an office an implementer's name means, or a name one of whose office keys begins the other's
    (`is_written_in_full`); those few are found here and then tested as before, so the answer is the same.
    """

    def __init__(self, implementers: Iterable[str | None], offices: Offices | None):
        self.offices = offices
        self._names = set(implementers)
        self._by_office: dict[str, set[str]] = defaultdict(set)
        self._by_key: dict[str, set[str]] = defaultdict(set)
        if offices is not None:
            for name in self._names:
                if not name:
                    continue
                for office in offices.named(name):
                    self._by_office[office.name].add(name)
                if key := office_key(name):
                    self._by_key[key].add(name)
        self._keys = sorted(self._by_key)
        self._found: dict[str | None, frozenset[str | None]] = {}

    def __contains__(self, implementer: object) -> bool:
        return implementer in self._names

    def of(self, unit: str | None) -> frozenset[str | None]:
        """Return the implementing units `unit` is."""
        found = self._found.get(unit)
        if found is None:
            found = self._found[unit] = frozenset(
                i for i in self._candidates(unit) if is_implementer(unit, i, self.offices)
            )
        return found

    def _candidates(self, unit: str | None) -> set[str | None]:
        candidates = {unit} & self._names
        if self.offices is None or unit is None:
            return candidates
        key = office_key(unit)
        if not key:  # a blank name, which no index holds: each implementer tested, as before
            return set(self._names)
        candidates |= self._by_office.get(unit, set())
        # Implementers whose key begins the unit's (written in full, the unit goes on from them) ...
        for end in range(1, len(key) + 1):
            candidates |= self._by_key.get(key[:end], set())
        # ... and those whose key goes on from the unit's.
        at = bisect_left(self._keys, key)
        while at < len(self._keys) and self._keys[at].startswith(key):
            candidates |= self._by_key[self._keys[at]]
            at += 1
        return candidates
