"""BoundedDict: the one shape of every in-process cache in grading and rendering.

Grading a class remembers what repeats (numeric scores, outcomes, rendered pieces, parsed
Fractions) in plain dicts, so a hit is dict's own C lookup. Each must stay bounded so that
memory does not grow with the class: the dict empties itself when an insert finds it full.
Emptying all at once rather than evicting the oldest keeps a miss cheap, and what a class
repeats comes back within a few students.
"""

from __future__ import annotations


class BoundedDict(dict):
    """A dict emptied before an insert that finds it holding `limit` entries or more.

    >>> d = BoundedDict(2)
    >>> d["a"] = 1; d["b"] = 2; d["c"] = 3
    >>> d
    {'c': 3}
    """

    limit = 4_096  # instances set their own; the default also serves unpickling

    def __init__(self, limit: int) -> None:
        super().__init__()
        self.limit = limit

    def __setitem__(self, key, value) -> None:
        if len(self) >= self.limit:
            self.clear()
        super().__setitem__(key, value)

    def by_identity(self, obj, build):
        """build(obj), remembered under id(obj) for objects that are not hashable by value
        (or costly to hash). The entry holds `obj`, so while it lives no other object can
        take its id(); a stale entry (another object at that id) is rebuilt.

        >>> table, built = BoundedDict(8), []
        >>> key = ["a"]
        >>> table.by_identity(key, lambda k: built.append(k) or len(built))
        1
        >>> table.by_identity(key, lambda k: built.append(k) or len(built))
        1
        """
        found = self.get(id(obj))
        if found is None or found[0] is not obj:
            found = self[id(obj)] = (obj, build(obj))
        return found[1]
