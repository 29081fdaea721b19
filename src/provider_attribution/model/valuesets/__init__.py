"""Code lists shipped as package data, versioned by edition year.

Each edition directory under ``data/`` holds some of the CSV files; a request for year Y reads
each file from the newest edition not after Y (an older edition fills files a newer one lacks).
``data/README.md`` gives the source of every primary-care edition (the MSSP lists by
performance year).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from functools import cache
from importlib import resources
from types import MappingProxyType

BUCKETS = ("pcp", "npp", "specialist")

_FILES = ("primary_care_hcpcs", "specialty_bucket", "taxonomy_specialty")


@cache
def editions() -> tuple[int, ...]:
    """Edition years shipped with the package, ascending."""
    root = resources.files(__package__).joinpath("data")
    return tuple(sorted(int(p.name) for p in root.iterdir() if p.name.isdigit()))


@cache
def file_editions(name: str) -> tuple[int, ...]:
    """Edition years that ship the file ``name`` (e.g. ``primary_care_hcpcs``), ascending."""
    return tuple(e for e in editions() if _read(e, name) is not None)


@cache
def _read(edition: int, name: str) -> tuple[dict[str, str], ...] | None:
    path = resources.files(__package__) / "data" / str(edition) / f"{name}.csv"
    if not path.is_file():
        return None
    return tuple(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))


def _rows(name: str, year: int) -> tuple[int, tuple[dict[str, str], ...]]:
    for edition in reversed(editions()):
        if edition <= year:
            rows = _read(edition, name)
            if rows is not None:
                return edition, rows
    raise LookupError(f"no edition of value set {name!r} covers year {year}")


def normalize_code(value: str) -> str:
    """Canonical text of a HCPCS or taxonomy code: trimmed, upper case."""
    return value.strip().upper()


def normalize_specialty(value: str) -> str:
    """Canonical Medicare specialty code: trimmed, upper case, at least two characters."""
    return value.strip().upper().rjust(2, "0")


@dataclass(frozen=True)
class ValueSets:
    """The code lists a method reads. Build with :meth:`for_year` or pass your own."""

    primary_care_hcpcs: frozenset[str]
    specialty_bucket: Mapping[str, str] = field(default_factory=dict)
    specialty_description: Mapping[str, str] = field(default_factory=dict)
    taxonomy_specialty: Mapping[str, str] = field(default_factory=dict)
    edition: str = "custom"

    @classmethod
    def for_year(cls, year: int | None = None) -> ValueSets:
        """The shipped lists in force for ``year`` (default: the newest edition); read once
        per year, shared and read-only."""
        return _shipped(editions()[-1] if year is None else year)

    @classmethod
    def in_force(cls, year: int) -> ValueSets:
        """The lists a scope key of rule year ``year`` uses when none are given: those of
        :meth:`for_year`, or of the oldest edition for a year before every edition."""
        return cls.for_year(max(year, editions()[0]))

    def with_primary_care_codes(self, codes: Iterable[str]) -> ValueSets:
        """A copy with the primary-care code list replaced."""
        return replace(
            self,
            primary_care_hcpcs=frozenset(normalize_code(c) for c in codes),
            edition=f"{self.edition}+custom-hcpcs",
        )

    def codes_for_bucket(self, bucket: str) -> frozenset[str]:
        """Medicare specialty codes that classify as ``bucket``."""
        return frozenset(code for code, b in self.specialty_bucket.items() if b == bucket)


@cache
def _shipped(year: int) -> ValueSets:
    """The shipped lists in force for ``year``, with read-only mappings (the instance is
    shared by every caller)."""
    pc_edition, pc_rows = _rows("primary_care_hcpcs", year)
    sp_edition, sp_rows = _rows("specialty_bucket", year)
    tx_edition, tx_rows = _rows("taxonomy_specialty", year)
    return ValueSets(
        primary_care_hcpcs=frozenset(normalize_code(r["hcpcs_code"]) for r in pc_rows),
        specialty_bucket=MappingProxyType(
            {
                normalize_specialty(r["specialty_code"]): r["bucket"]
                for r in sp_rows
                if r["bucket"] in BUCKETS
            }
        ),
        specialty_description=MappingProxyType(
            {normalize_specialty(r["specialty_code"]): r["description"] for r in sp_rows}
        ),
        taxonomy_specialty=MappingProxyType(
            {
                normalize_code(r["taxonomy_code"]): normalize_specialty(r["specialty_code"])
                for r in tx_rows
            }
        ),
        edition=f"shipped:{max(pc_edition, sp_edition, tx_edition)}",
    )
