"""What preflight returns: one :class:`Check` per thing looked at, and the errors as an
:class:`InputError`."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Check:
    """One preflight check: what was looked at, whether it passed, and what to do if not.

    ``severity`` is what a failure means (``error`` stops a run, ``warning`` does not); for a
    passing check ``ok`` is true and ``message`` says what was found.
    """

    name: str
    table: str | None
    column: str | None
    ok: bool
    severity: Severity
    message: str

    @property
    def is_error(self) -> bool:
        """A failed check that stops a run."""
        return not self.ok and self.severity == "error"

    @property
    def is_warning(self) -> bool:
        """A failed check that does not stop a run."""
        return not self.ok and self.severity == "warning"


class InputError(ValueError):
    """The inputs cannot be attributed; the message lists every problem, one per line."""

    def __init__(self, checks: Sequence[Check]) -> None:
        self.checks = tuple(checks)
        super().__init__("\n".join(c.message for c in self.checks))


def errors(checks: Iterable[Check]) -> list[Check]:
    """The failed checks that stop a run."""
    return [c for c in checks if c.is_error]


def warnings(checks: Iterable[Check]) -> list[Check]:
    """The failed checks that do not stop a run."""
    return [c for c in checks if c.is_warning]


#: Checks of the data's plausibility (empty inputs, as-of date or years outside the data):
#: the attribution is well defined (every member gets the fallback row, or there are no
#: members) but almost certainly not what was meant. The other checks (``table``, ``column``,
#: ``values``, ``method``) find inputs the attribution queries cannot read or would misread.
DATA_CHECKS = frozenset({"rows", "as_of", "years"})


def require_valid(checks: Iterable[Check], *, data: bool = True) -> None:
    """Raise :class:`InputError` naming every error; warnings are ignored.

    ``data=False`` ignores the errors of :data:`DATA_CHECKS` too (what
    :func:`provider_attribution.warehouse.run.attribute` does unless ``strict=True``).
    """
    bad = [c for c in errors(checks) if data or c.name not in DATA_CHECKS]
    if bad:
        raise InputError(bad)
