"""Deterministic synthetic input data: claim lines, member months, a provider directory, and the
optional inputs of the MSSP / Medicaid / REACH methods.

:func:`generate` writes the three input tables named by an :class:`Inputs` mapping and, next to
the claims table (or where the mapping's optional sections say), an ACO participant roster, an
FQHC/RHC attestation list, self-selections and geographic assignments; :func:`demo_inputs` is
the mapping that reads all of them. All rows are
computed by DuckDB SQL from ``range()`` table functions; every random choice is a hash of
(seed, key, salt) mapped to [0, 1), so the same seed and spec give the same tables (on the
same DuckDB version) whatever the thread count or row order. Other engines get the tables
generated in an in-memory DuckDB and copied over with SQLAlchemy Core inserts.

Shapes (approximate shares):

* Providers: 45 % PCP taxonomies, 15 % NPP, 30 % specialists, 5 % unmapped taxonomies, 5 %
  organisations (entity type ``2``); NPIs are 10 digits with a valid Luhn check digit under the
  ``80840`` prefix. About 2 % extra NPIs render claims but are missing from the directory.
* Members: enrolment starts and ends at various months; ~15 % have a 1-4 month gap; ~8 % have
  eligibility but no claims. Each member has a home PCP, usually an NPP of the same practice
  (three PCPs share one NPP), a usual specialist, and ~10 % switch PCP mid-period.
* Claims: 1-4 lines numbered from 1; ~72 % primary-care visits, ~20 % specialist visits, ~8 %
  labs and imaging, so ~30 % of lines carry non-primary-care codes. ~80 % of claims carry an
  encounter id (paired claims share one); ~5 % of lines have a null allowed amount and ~2 % a zero
  one; ~1 % of claims (multi-line ones) are reversed: their later lines repeat the earlier ones
  with negated amounts; ~1 % of lines have no rendering NPI; ~0.4 % of visits fall outside the
  member's enrolment, and visits of members with a gap can fall in the gap. ``claim_end_date``
  is 0-3 days after the start.
* Practices: individual providers are grouped, in roster order, into practices of 3-8 sharing a
  9-digit billing TIN; every organisation has a TIN of its own. ~30 % of practices are
  organisation-affiliated (FQHC/RHC sites). Claim lines carry the billing TIN of their rendering
  (or attending) provider; ~2 % of lines have a null TIN.
* FQHC/RHC encounters: ~20 % of members use a site and ~15 % of their claims (~3 % of all) are
  institutional: every line has a revenue-centre code (0521, 0522, 0524, 0525; ~12 % of these
  claims 0450, an emergency code that is not an FQHC code), no rendering NPI and an attending
  NPI: usually the member's home PCP when that PCP works at a site, else a PCP (~20 % an NPP) of
  a site practice. First lines are mostly T1015 / G0466 / G0467 (not primary-care codes) or an
  E/M visit; emergency first lines are 99283-99285. Other lines have no revenue code or
  attending NPI.
* ACO roster (``aco_participants``): 60 % of the TINs of in-directory providers participate
  (larger practices more often), dealt round-robin to 2-3 ACOs ``A0001``...; every in-directory
  NPI of a participating TIN gets a row. With 5+ participating TINs ~10 % of them move to the
  next ACO mid-range (an ending and a starting row per NPI). A few other NPIs join (start
  date) or leave (end date) mid-range, at least one of each; all other dates are null.
* Attestation (``attested_npis``): the attending NPIs of the facility lines except ~20 % (at
  least one when there are two or more), so some FQHC lines are excluded.
* Self-selections (``self_selections``): ~12 % of members; ~75 % choose their home PCP, the rest
  another PCP; ~10 % take effect after the last generated month, ~22 % have ended (half of those
  are followed by a new selection of another PCP).
* Geographic assignments (``geographic_assignments``): ~90 % of members get a random PCP from
  the month their enrolment starts, open-ended.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any, TypeVar

import sqlalchemy as sa

from provider_attribution.model.inputs import (
    Classification,
    Inputs,
    NpiListTable,
    RosterTable,
    SelectionTable,
)
from provider_attribution.model.valuesets import ValueSets

__all__ = ["SyntheticSpec", "demo_inputs", "generate", "luhn_npi_check_digit", "npi_is_valid"]

_CHUNK = 5_000
_GROUP = 4  # claim lines are laid out in groups of 4 positions; a claim never spans two groups
_SPLIT = 0.4  # chance that a position inside a group starts a new claim (mean ~1.8 lines/claim)

# Provider roster: position i takes type _SLOTS[i % 20] -> 9 PCP, 3 NPP, 6 specialist, 1 other,
# 1 organisation per 20 (every type present from 5 providers on).
_SLOTS = (
    "pcp", "npp", "spec", "org", "other", "pcp", "pcp", "spec", "npp", "pcp",
    "spec", "pcp", "pcp", "spec", "npp", "pcp", "spec", "pcp", "spec", "pcp",
)  # fmt: skip
_TAXONOMIES: dict[str, tuple[tuple[str, int], ...]] = {
    "pcp": (
        ("207Q00000X", 40),
        ("207R00000X", 35),
        ("208D00000X", 10),
        ("208000000X", 8),
        ("207QG0300X", 7),
    ),
    "npp": (("363L00000X", 55), ("363A00000X", 35), ("364S00000X", 10)),
    "spec": (
        ("207RC0000X", 20),
        ("2084N0400X", 20),
        ("207V00000X", 20),
        ("207RE0101X", 20),
        ("207RP1001X", 20),
    ),
    "other": (("207X00000X", 50), ("2085R0202X", 50)),
    "org": (("261QF0400X", 40), ("261QP2300X", 30), ("291U00000X", 30)),
}

# Base allowed amounts per code (a line gets 80-120 % of it).
_PRICES: dict[str, float] = {
    "99202": 78, "99203": 118, "99204": 176, "99205": 232,
    "99211": 24, "99212": 62, "99213": 98, "99214": 138, "99215": 192,
    "99308": 95, "99341": 110, "99347": 105,
    "99490": 64, "99439": 48, "99495": 210, "99496": 282, "99497": 86,
    "G0438": 178, "G0439": 138, "G0442": 19, "G0444": 19, "G2211": 16.05,
    "96160": 3.5, "99406": 15.5,
    "36415": 3.1, "85025": 7.8, "80053": 10.6, "80061": 13.4, "83036": 9.7, "81002": 3.2,
    "84443": 16.8, "82947": 3.9, "87880": 16, "90686": 19.5,
    "93000": 17, "93306": 215, "93880": 205, "95886": 98, "20610": 62, "11102": 105,
    "17110": 112, "71046": 31, "73030": 29, "72100": 36, "74177": 335, "77067": 142,
    "T1015": 185, "G0466": 262, "G0467": 188, "99283": 74, "99284": 122, "99285": 176,
}  # fmt: skip

# Code pools, weights summing to 100 each; pool index = position in this tuple.
_POOLS: tuple[tuple[tuple[str, int], ...], ...] = (
    # 0: primary-care visit, first line (E/M, AWV, TCM, CCM, home and nursing-facility visits)
    (
        ("99213", 30), ("99214", 26), ("99212", 8), ("99215", 6), ("99203", 4), ("99204", 4),
        ("99202", 2), ("99205", 1), ("G0439", 6), ("G0438", 2), ("99495", 2), ("99496", 1),
        ("99490", 3), ("99497", 1), ("99341", 1), ("99347", 1), ("99308", 2),
    ),
    # 1: primary-care add-on lines
    (
        ("G2211", 40), ("99490", 10), ("96160", 10), ("99406", 8), ("99497", 6), ("G0442", 6),
        ("G0444", 6), ("99211", 8), ("99439", 6),
    ),
    # 2: labs and procedures during a primary-care visit
    (
        ("36415", 30), ("85025", 15), ("80053", 14), ("80061", 10), ("83036", 10), ("81002", 5),
        ("93000", 8), ("90686", 5), ("87880", 3),
    ),
    # 3: specialist visit, first line
    (("99213", 35), ("99214", 35), ("99215", 10), ("99204", 10), ("99203", 8), ("99205", 2)),
    # 4: specialist procedures
    (
        ("93000", 20), ("93306", 15), ("20610", 20), ("11102", 10), ("93880", 8), ("95886", 7),
        ("17110", 10), ("36415", 10),
    ),
    # 5: labs and imaging
    (
        ("80053", 15), ("85025", 15), ("36415", 20), ("84443", 8), ("82947", 7), ("71046", 12),
        ("73030", 8), ("72100", 5), ("74177", 4), ("77067", 6),
    ),
    # 6: FQHC/RHC encounter, first line (later lines take pool 2)
    (("T1015", 35), ("G0467", 25), ("G0466", 12), ("99213", 14), ("99214", 10), ("99212", 4)),
    # 7: emergency-room line (revenue code 0450), first line (later lines take pool 5)
    (("99283", 40), ("99284", 42), ("99285", 18)),
)  # fmt: skip

# Codes of the pools that are not primary-care services (for documentation and tests).
NON_PRIMARY_CARE_CODES = frozenset(c for p in (_POOLS[2], _POOLS[4], _POOLS[5]) for c, _ in p)
PRIMARY_CARE_CODES = frozenset(c for p in (_POOLS[0], _POOLS[1], _POOLS[3]) for c, _ in p)

_TUVA_INPUTS = Inputs()

_PAYERS = (("medicare", 60), ("commercial", 25), ("medicaid", 15))

# Revenue-centre codes of facility claims; 0450 (emergency room) is not an FQHC/RHC code.
FQHC_REVENUE_CODES = ("0521", "0522", "0524", "0525")
_REVENUE = (("0521", 50), ("0522", 12), ("0524", 12), ("0525", 14), ("0450", 12))

_FQHC_USERS = 0.2  # share of members who use an FQHC/RHC site
_FQHC_CLAIMS = 0.15  # share of a site user's claims that are facility claims
_TIN_FACTOR = 7_777_777  # coprime with 900_000_000, so distinct keys give distinct TINs


@dataclass(frozen=True)
class SyntheticSpec:
    """Size and shape of a synthetic data set.

    ``claim_lines`` (exact row count of the claims table) defaults to ``members * 12`` and
    ``providers`` (rows of the provider directory) to ``max(20, members // 150)``. Eligibility
    covers ``months`` months from the month of ``start``.
    """

    members: int = 10_000
    claim_lines: int | None = None
    providers: int | None = None
    start: dt.date = dt.date(2023, 1, 1)
    months: int = 36
    seed: int = 0

    @property
    def n_claim_lines(self) -> int:
        """Claim lines to generate (exactly; reversal lines are part of the count)."""
        return self.members * 12 if self.claim_lines is None else self.claim_lines

    @property
    def n_providers(self) -> int:
        """Rows of the provider directory."""
        return max(20, self.members // 150) if self.providers is None else self.providers

    @property
    def last_day(self) -> dt.date:
        """Last day of the eligibility range (end of the last generated month)."""
        index = self.start.year * 12 + self.start.month - 1 + self.months
        return dt.date(index // 12, index % 12 + 1, 1) - dt.timedelta(days=1)

    def validate(self) -> None:
        """Raise ``ValueError`` for sizes the generator cannot honour."""
        if self.members < 1:
            raise ValueError("members must be at least 1")
        if self.n_claim_lines < 0:
            raise ValueError("claim_lines must not be negative")
        if self.n_providers < len(set(_SLOTS)):
            raise ValueError(f"providers must be at least {len(set(_SLOTS))}")
        if self.months < 1:
            raise ValueError("months must be at least 1")


# --- NPI check digits -------------------------------------------------------------------------


def luhn_npi_check_digit(base9: str) -> int:
    """Check digit of a 9-digit NPI base: Luhn over ``80840`` + base."""
    total = 0
    for pos, ch in enumerate(reversed("80840" + base9)):
        d = int(ch)
        if pos % 2 == 0:  # rightmost payload digit is doubled
            d = d * 2 - 9 if d >= 5 else d * 2
        total += d
    return (10 - total % 10) % 10


def npi_is_valid(npi: str) -> bool:
    """True for a 10-digit NPI whose last digit is its Luhn-80840 check digit."""
    return len(npi) == 10 and npi.isdigit() and luhn_npi_check_digit(npi[:9]) == int(npi[9])


def _sql_npi_check(n: str) -> str:
    """SQL for the check digit of a 9-digit integer expression ``n`` (prefix 80840 adds 24)."""
    terms = []
    for k in range(9):  # k = 0 is the rightmost digit
        d = f"(({n} // {10**k}) % 10)"
        terms.append(f"(2 * {d} - 9 * CAST({d} >= 5 AS BIGINT))" if k % 2 == 0 else d)
    return f"((10 - (24 + {' + '.join(terms)}) % 10) % 10)"


# --- SQL helpers ------------------------------------------------------------------------------


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _qualified(schema: str | None, name: str) -> str:
    return _q(name) if schema is None else f"{_q(schema)}.{_q(name)}"


def _lit(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _list(values: Sequence[str | float]) -> str:
    items = (_lit(v) if isinstance(v, str) else repr(float(v)) for v in values)
    return "[" + ", ".join(items) + "]"


def _expand(weighted: Sequence[tuple[str, int]]) -> list[str]:
    return [code for code, weight in weighted for _ in range(weight)]


class _Rand:
    """``u(key..., salt=...)``: SQL for a uniform [0, 1) double determined by seed, keys, salt.

    DuckDB's variadic ``hash(a, b, c)`` combines argument hashes by XOR, so two salts would give
    dependent values; instead a per-(seed, salt) 64-bit constant is XOR-ed with each key in turn
    and re-hashed (DuckDB's integer hash is a full-avalanche mixer).
    """

    def __init__(self, seed: int) -> None:
        self.seed = int(seed)

    def constant(self, salt: str) -> int:
        """A 64-bit constant derived from the seed and ``salt``."""
        digest = hashlib.blake2b(f"{self.seed}:{salt}".encode(), digest_size=8).digest()
        return int.from_bytes(digest, "big")

    def __call__(self, *keys: str, salt: str) -> str:
        expr = f"CAST({self.constant(salt)} AS UBIGINT)"
        for key in keys:
            expr = f"hash(xor({expr}, CAST({key} AS UBIGINT)))"
        return f"(CAST({expr} >> 11 AS DOUBLE) / 9007199254740992.0)"

    def pick(self, weighted: Sequence[tuple[str, int]], *keys: str, salt: str) -> str:
        """SQL choosing one of ``weighted`` values."""
        slots = _expand(weighted)
        idx = f"1 + CAST(floor({self(*keys, salt=salt)} * {len(slots)}) AS BIGINT)"
        return f"{_list(slots)}[{idx}]"


def _type_counts(n: int) -> dict[str, int]:
    counts = dict.fromkeys(_SLOTS, 0)
    for slot, kind in enumerate(_SLOTS):
        counts[kind] += (n - slot + len(_SLOTS) - 1) // len(_SLOTS)
    return counts


# --- the generator ----------------------------------------------------------------------------


def demo_inputs(inputs: Inputs = _TUVA_INPUTS) -> Inputs:
    """The mapping of everything :func:`generate` writes for ``inputs``.

    The claims section gains ``encounter_id``, ``tin``, ``revenue_center_code`` and
    ``attending_npi``, the providers section ``entity_type`` (column names already mapped are
    kept); optional sections missing from
    ``inputs`` point to ``aco_participants``, ``attested_npis``, ``self_selections`` and
    ``geographic_assignments`` in the claims table's schema.
    """
    c = inputs.claims
    claims = replace(
        c,
        encounter_id=c.encounter_id or "encounter_id",
        tin=c.tin or "tin",
        revenue_center_code=c.revenue_center_code or "revenue_center_code",
        attending_npi=c.attending_npi or "attending_npi",
    )
    p = inputs.providers
    providers = replace(p, entity_type=p.entity_type or "entity_type_code")
    x = _extras(inputs)
    return replace(
        inputs,
        claims=claims,
        providers=providers,
        roster=x.roster,
        attested=x.attested,
        self_selections=x.selections,
        geographic=x.geographic,
    )


@dataclass(frozen=True)
class _Extras:
    """The optional input tables the generator writes, with their column names."""

    roster: RosterTable
    attested: NpiListTable
    selections: SelectionTable
    geographic: SelectionTable


def _extras(inputs: Inputs) -> _Extras:
    """The optional sections of ``inputs``, defaulted to tables in the claims table's schema."""
    schema = inputs.claims.schema
    return _Extras(
        roster=inputs.roster or RosterTable(schema=schema),
        attested=inputs.attested or NpiListTable(schema=schema),
        selections=inputs.self_selections or SelectionTable(schema=schema),
        geographic=inputs.geographic
        or SelectionTable(name="geographic_assignments", schema=schema),
    )


def _all_tables(inputs: Inputs) -> tuple[tuple[str | None, str], ...]:
    """(schema, name) of every generated table: claims, eligibility, providers, then extras."""
    x = _extras(inputs)
    tables = (
        inputs.claims,
        inputs.eligibility,
        inputs.providers,
        x.roster,
        x.attested,
        x.selections,
        x.geographic,
    )
    return tuple((t.schema, t.name) for t in tables)


@dataclass(frozen=True)
class _Names:
    claims: str
    eligibility: str
    providers: str
    roster: str
    attested: str
    selections: str
    geographic: str
    schemas: tuple[str, ...]

    @property
    def tables(self) -> tuple[str, ...]:
        """Qualified names in the order of :func:`_target_tables` and the returned counts."""
        return (
            self.claims,
            self.eligibility,
            self.providers,
            self.roster,
            self.attested,
            self.selections,
            self.geographic,
        )


def _names(inputs: Inputs) -> _Names:
    tables = _all_tables(inputs)
    qualified = [_qualified(schema, name) for schema, name in tables]
    if len(set(qualified)) != len(qualified):
        raise ValueError(f"the generated tables need distinct names, got {qualified}")
    claims, eligibility, providers, roster, attested, selections, geographic = qualified
    schemas = {schema for schema, _ in tables}
    return _Names(
        claims=claims,
        eligibility=eligibility,
        providers=providers,
        roster=roster,
        attested=attested,
        selections=selections,
        geographic=geographic,
        schemas=tuple(sorted(s for s in schemas if s is not None)),
    )


def _label(schema: str | None, name: str) -> str:
    return name if schema is None else f"{schema}.{name}"


def _provider_classes(inputs: Inputs, year: int) -> dict[str, str | None]:
    """Value of the classification column for each taxonomy the generator uses."""
    kind = inputs.providers.classification_kind
    taxonomies = [t for pairs in _TAXONOMIES.values() for t, _ in pairs]
    if kind is Classification.TAXONOMY:
        return {t: t for t in taxonomies}
    vs = ValueSets.for_year(year)
    result: dict[str, str | None] = {}
    for t in taxonomies:
        specialty = vs.taxonomy_specialty.get(t)
        if kind is Classification.SPECIALTY:
            result[t] = specialty
        else:
            result[t] = vs.specialty_bucket.get(specialty or "", "unknown")
    return result


def _statements(spec: SyntheticSpec, inputs: Inputs) -> tuple[list[str], list[str]]:
    """(setup statements, cleanup statements) generating every table in DuckDB."""
    u = _Rand(spec.seed)
    names = _names(inputs)
    x = _extras(inputs)
    c, e, p = inputs.claims, inputs.eligibility, inputs.providers
    n_members = spec.members
    n_lines = spec.n_claim_lines
    n_dir = spec.n_providers
    n_ghost = max(1, round(n_dir * 0.02))
    n_roster = n_dir + n_ghost
    counts = _type_counts(n_roster)
    n_dir_pcp = _type_counts(n_dir)["pcp"]  # PCPs of rank < n_dir_pcp are in the directory
    months = spec.months
    start = spec.start.replace(day=1)
    start_sql = f"DATE '{start.isoformat()}'"
    last_sql = f"DATE '{spec.last_day.isoformat()}'"
    pw = max(6, len(str(max(n_members - 1, 0))))
    cw = max(8, len(str(max(n_lines - 1, 0))))
    members_t, roster_t = "__pa_synthetic_members", "__pa_synthetic_roster"
    sites_t = "__pa_synthetic_sites"

    def month_date(index: str) -> str:
        return f"CAST({start_sql} + to_months(CAST({index} AS INTEGER)) AS DATE)"

    # Roster: providers in the directory (i < n_dir) and ghosts (missing from it). Individual
    # providers, in roster order, fill practices of 3-8 (practice k has TIN key k); organisation
    # number t has TIN key n_roster + t, so every key and hence every TIN is distinct.
    tax_case = " ".join(
        f"WHEN {_lit(kind)} THEN {u.pick(pairs, 'i', salt='taxonomy')}"
        for kind, pairs in _TAXONOMIES.items()
    )
    offset = u.constant("npi-offset") % 100_000_000
    tin_offset = u.constant("tin-offset") % 900_000_000
    roster = f"""
CREATE OR REPLACE TEMP TABLE {roster_t} AS
WITH base AS (
    SELECT i, {_list(_SLOTS)}[1 + i % {len(_SLOTS)}] AS ptype
    FROM range({n_roster}) t(i)
), numbered AS (
    SELECT i, ptype,
        CAST(row_number() OVER (PARTITION BY ptype ORDER BY i) - 1 AS BIGINT) AS trank,
        CAST(row_number() OVER (PARTITION BY ptype = 'org' ORDER BY i) - 1 AS BIGINT) AS prank,
        CASE ptype {tax_case} END AS taxonomy,
        CAST(CASE WHEN ptype = 'org' THEN 2 ELSE 1 END * 100000000
            + (i * 61803399 + {offset}) % 100000000 AS BIGINT) AS base9
    FROM base
), sized AS (
    SELECT k, 3 + CAST(floor({u("k", salt="practice-size")} * 6) AS BIGINT) AS size
    FROM range({n_roster}) t(k)
), bounds AS (
    SELECT k, CAST(sum(size) OVER (ORDER BY k) AS BIGINT) - size AS lo,
        CAST(sum(size) OVER (ORDER BY k) AS BIGINT) AS hi
    FROM sized
), placed AS (
    SELECT n.*, CASE WHEN n.ptype = 'org' THEN {n_roster} + n.trank ELSE b.k END AS tin_key
    FROM numbered n
    LEFT JOIN bounds b ON n.ptype <> 'org' AND n.prank >= b.lo AND n.prank < b.hi
)
SELECT i, ptype, trank, taxonomy, i < {n_dir} AS in_directory,
    CASE WHEN ptype = 'org' THEN '2' ELSE '1' END AS entity_type,
    CAST(base9 * 10 + {_sql_npi_check("base9")} AS VARCHAR) AS npi,
    tin_key,
    CAST((tin_key * {_TIN_FACTOR} + {tin_offset}) % 900000000 + 100000000 AS VARCHAR) AS tin,
    ptype <> 'org' AND (tin_key = 0 OR {u("tin_key", salt="affiliated")} < 0.3) AS affiliated
FROM placed
"""

    # FQHC/RHC site staff: in-directory PCPs and NPPs of organisation-affiliated practices,
    # numbered per type (practice 0 starts with roster position 0, a PCP, so there is one).
    sites = f"""
CREATE OR REPLACE TEMP TABLE {sites_t} AS
SELECT ptype, npi, tin,
    CAST(row_number() OVER (PARTITION BY ptype ORDER BY i) - 1 AS BIGINT) AS site_rank
FROM {roster_t}
WHERE affiliated AND in_directory AND ptype IN ('pcp', 'npp')
"""

    def n_sites(ptype: str) -> str:
        return f"(SELECT count(*) FROM {sites_t} WHERE ptype = {_lit(ptype)})"

    # Members: enrolment span [s, e] in month indexes, optional gap [gs, ge], home providers.
    span = months - 1
    late_start = max(1, (months * 3) // 4)
    members = f"""
CREATE OR REPLACE TEMP TABLE {members_t} AS
WITH b AS (
    SELECT i,
        CASE WHEN {u("i", salt="s0")} < 0.6 THEN 0
             ELSE CAST(floor({u("i", salt="s1")} * {late_start}) AS BIGINT) END AS s,
        1 + CAST(floor({u("i", salt="gl")} * 4) AS BIGINT) AS gap_len
    FROM range({n_members}) t(i)
), b2 AS (
    SELECT *,
        CASE WHEN {u("i", salt="e0")} < 0.65 THEN {span}
             ELSE s + CAST(floor({u("i", salt="e1")} * ({months} - s)) AS BIGINT) END AS e
    FROM b
), b3 AS (
    SELECT *,
        {u("i", salt="gap")} < 0.17 AND e - s - gap_len >= 1 AS has_gap,
        CAST(floor({u("i", salt="pcp")} * {counts["pcp"]}) AS BIGINT) AS pcp_rank
    FROM b2
), b4 AS (
    SELECT i, s, e,
        CASE WHEN has_gap THEN s + 1
            + CAST(floor({u("i", salt="gs")} * (e - s - gap_len)) AS BIGINT) END AS gs,
        gap_len,
        pcp_rank,
        CASE WHEN {u("i", salt="npp")} < 0.7
             THEN (pcp_rank // 3) % {counts["npp"]} END AS npp_rank,
        CAST(floor({u("i", salt="spec")} * {counts["spec"]}) AS BIGINT) AS spec_rank,
        CASE WHEN {counts["pcp"]} > 1 AND e - s >= 11 AND {u("i", salt="switch")} < 0.1
             THEN (pcp_rank + 1 + CAST(floor({u("i", salt="prev")} * ({counts["pcp"]} - 1))
                   AS BIGINT)) % {counts["pcp"]} END AS prev_pcp_rank,
        s + CAST(floor((e - s + 1) * (0.3 + 0.4 * {u("i", salt="sw")})) AS BIGINT)
            AS switch_month,
        {u.pick(_PAYERS, "i", salt="payer")} AS payer,
        i = 0 OR {u("i", salt="noclaims")} >= 0.08 AS claimant,
        {u("i", salt="fqhc-user")} < {_FQHC_USERS} AS fqhc_user
    FROM b3
)
SELECT *, gs + gap_len - 1 AS ge,
    'P' || lpad(CAST(i AS VARCHAR), {pw}, '0') AS person_id,
    CASE WHEN claimant
         THEN CAST(row_number() OVER (PARTITION BY claimant ORDER BY i) - 1 AS BIGINT)
    END AS cidx
FROM b4
"""

    if e.year_month is not None:
        month_col, month_val = e.year_month, f"strftime({month_date('mi')}, '%Y%m')"
    else:
        assert e.month_start is not None
        month_col, month_val = e.month_start, month_date("mi")
    eligibility = f"""
CREATE TABLE {names.eligibility} AS
SELECT CAST(m.person_id AS VARCHAR) AS {_q(e.person_id)},
    CAST({month_val} AS {"VARCHAR" if e.year_month is not None else "DATE"}) AS {_q(month_col)},
    CAST(m.payer AS VARCHAR) AS "payer"
FROM {members_t} m, range({months}) t(mi)
WHERE mi BETWEEN m.s AND m.e AND NOT coalesce(mi BETWEEN m.gs AND m.ge, FALSE)
"""

    classes = _provider_classes(inputs, start.year)
    class_case = " ".join(
        f"WHEN {_lit(t)} THEN {'NULL' if v is None else _lit(v)}" for t, v in classes.items()
    )
    providers_cols = [
        f"CAST(npi AS VARCHAR) AS {_q(p.npi)}",
        f"CAST(CASE taxonomy {class_case} END AS VARCHAR) AS {_q(p.classification)}",
        f"CAST(entity_type AS VARCHAR) AS {_q(p.entity_type or 'entity_type_code')}",
    ]
    providers = f"""
CREATE TABLE {names.providers} AS
SELECT {", ".join(providers_cols)}
FROM {roster_t} WHERE in_directory
"""

    # Claim lines. Position j sits in group g = j // 4; position 0 of a group always starts a
    # claim, positions 1-3 start one with probability _SPLIT; the claim key is the position of
    # its first line. Line attributes hash (claim key, source line), so a reversal line (the
    # second half of a reversed claim) repeats its source line with negated amounts. Facility
    # claims (FQHC/RHC or emergency room) keep the member, dates and amounts logic but take
    # their codes from pools 6/7 (then 2/5), a per-claim revenue code and an attending NPI.
    n_claimants_sql = f"(SELECT count(*) FROM {members_t} WHERE claimant)"
    pos = [f"{u(f'g * {_GROUP} + {k}', salt='split')} < {_SPLIT}" for k in range(_GROUP)]
    spos = " ".join(f"WHEN p >= {k} AND f{k} THEN {k}" for k in range(_GROUP - 1, 0, -1))
    nxt = " ".join(f"WHEN spos < {k} AND f{k} THEN {k}" for k in range(1, _GROUP))
    pool_codes = [code for pool in _POOLS for code in _expand(pool)]
    pool_prices = [_PRICES[code] for code in pool_codes]
    rank_n = " ".join(f"WHEN {_lit(k)} THEN {v}" for k, v in counts.items())
    enc_col = c.encounter_id or "encounter_id"
    line_key = ("ck", "src_n")
    claims = f"""
CREATE TABLE {names.claims} AS
WITH pos AS (
    SELECT j, j // {_GROUP} AS g, j % {_GROUP} AS p
    FROM range({n_lines}) t(j)
), flags AS (
    SELECT *, {", ".join(f"{x} AS f{k}" for k, x in enumerate(pos) if k > 0)} FROM pos
), layout AS (
    SELECT *, CASE {spos} ELSE 0 END AS spos FROM flags
), lines AS (
    SELECT j, g, spos, g * {_GROUP} + spos AS ck, p - spos + 1 AS n,
        least(CASE {nxt} ELSE {_GROUP} END, {n_lines} - g * {_GROUP}) - spos AS k
    FROM layout
), lines2 AS (
    SELECT *,
        k >= 2 AND {u("ck", salt="reverse")} < 0.02 AS reversed,
        CASE WHEN spos > 0 AND {u("ck", salt="pair")} < 0.08 THEN g * {_GROUP} ELSE ck END
            AS anchor
    FROM lines
), lines3 AS (
    SELECT *,
        reversed AND n > (k + 1) // 2 AS rev_line,
        CASE WHEN reversed AND n > (k + 1) // 2 THEN n - (k + 1) // 2 ELSE n END AS src_n,
        CAST(floor({n_claimants_sql}
            * pow({u("anchor", salt="member")}, 1.4)) AS BIGINT) AS cidx
    FROM lines2
), withm AS (
    SELECT l.*, m.person_id, m.s, m.e, m.gs, m.ge, m.pcp_rank, m.npp_rank, m.spec_rank,
        m.prev_pcp_rank, m.switch_month, m.fqhc_user,
        CASE
            WHEN {u("anchor", salt="outside")} < 0.004 THEN
                CASE WHEN {u("anchor", salt="out-side")} < 0.5
                     THEN m.s - 1 - CAST(floor({u("anchor", salt="out-m")} * 3) AS BIGINT)
                     ELSE m.e + 1 + CAST(floor({u("anchor", salt="out-m")} * 3) AS BIGINT) END
            ELSE m.s + CAST(floor({u("anchor", salt="month")} * (m.e - m.s + 1)) AS BIGINT)
        END AS mi0
    FROM lines3 l JOIN {members_t} m ON m.cidx = l.cidx
), dated AS (
    SELECT *,
        CASE WHEN mi0 BETWEEN gs AND ge AND {u("anchor", salt="in-gap")} >= 0.2
             THEN ge + 1 ELSE mi0 END AS mi,
        {u("ck", salt="kind")} AS uk,
        {u("ck", salt="role")} AS ur,
        fqhc_user AND {u("ck", salt="facility")} < {_FQHC_CLAIMS} AS facility
    FROM withm
), roled AS (
    SELECT *,
        CASE WHEN uk < 0.72 THEN 0 WHEN uk < 0.92 THEN 3 ELSE 5 END AS lead_pool,
        CASE
            WHEN uk < 0.72 THEN
                CASE WHEN ur < 0.6 THEN 'pcp'
                     WHEN ur < 0.8 THEN CASE WHEN npp_rank IS NULL THEN 'pcp' ELSE 'npp' END
                     WHEN ur < 0.92 THEN 'pcp' ELSE 'org' END
            WHEN uk < 0.92 THEN CASE WHEN ur < 0.9 THEN 'spec' ELSE 'other' END
            ELSE CASE WHEN ur < 0.4 THEN 'org' WHEN ur < 0.8 THEN 'other' ELSE 'spec' END
        END AS rtype,
        CASE
            WHEN uk < 0.72 AND ur < 0.6 THEN
                CASE WHEN mi < switch_month THEN coalesce(prev_pcp_rank, pcp_rank)
                     ELSE pcp_rank END
            WHEN uk < 0.72 AND ur < 0.8 THEN coalesce(npp_rank, pcp_rank)
            WHEN uk >= 0.72 AND uk < 0.92 AND ur < 0.6 THEN spec_rank
        END AS home_rank,
        {u("ck", salt="rank")} AS urank,
        CASE WHEN facility THEN {u.pick(_REVENUE, "ck", salt="revenue")} END AS revenue_code,
        CASE WHEN facility AND {u("ck", salt="att-npp")} < 0.2 AND {n_sites("npp")} > 0
             THEN 'npp' ELSE 'pcp' END AS site_type
    FROM dated
), located AS (
    SELECT l.*,
        coalesce(home_rank, CAST(floor(urank * CASE rtype {rank_n} END) AS BIGINT)) AS rrank,
        {month_date("mi")} AS month_start
    FROM roled l
), lined AS (
    SELECT l.*, r.npi, r.tin,
        CASE WHEN src_n = 1 AND revenue_code = '0450' THEN 7
             WHEN revenue_code = '0450' THEN 5
             WHEN src_n = 1 AND facility THEN 6
             WHEN facility THEN 2
             WHEN src_n = 1 THEN lead_pool
             WHEN lead_pool = 0 THEN
                CASE WHEN {u(*line_key, salt="addon")} < 0.6 THEN 1 ELSE 2 END
             WHEN lead_pool = 3 THEN 4
             ELSE 5 END AS pool,
        CAST(month_start + CAST(floor({u("anchor", salt="day")}
            * day(last_day(month_start))) AS INTEGER) AS DATE) AS start_date,
        {u("ck", salt="los")} AS ulos,
        {u(*line_key, salt="amount")} AS uamt,
        {u(*line_key, salt="paid")} AS upaid,
        {u(*line_key, salt="allowed-kind")} AS uallow
    FROM located l LEFT JOIN {roster_t} r ON r.ptype = l.rtype AND r.trank = l.rrank
), attended AS (
    SELECT l.*,
        CASE WHEN NOT facility THEN NULL
             WHEN h.npi IS NOT NULL AND {u("ck", salt="att-home")} < 0.7 THEN h.npi
             ELSE st.npi END AS attending,
        CASE WHEN NOT facility THEN l.tin
             WHEN h.npi IS NOT NULL AND {u("ck", salt="att-home")} < 0.7 THEN h.tin
             ELSE st.tin END AS billing_tin
    FROM lined l
    LEFT JOIN {roster_t} h ON l.facility AND h.ptype = 'pcp' AND h.trank = l.pcp_rank
        AND h.affiliated AND h.in_directory
    LEFT JOIN {sites_t} st ON l.facility AND st.ptype = l.site_type AND st.site_rank
        = CAST(floor({u("l.cidx", salt="att-site")} * CASE l.site_type WHEN 'npp'
               THEN {n_sites("npp")} ELSE {n_sites("pcp")} END) AS BIGINT)
), priced AS (
    SELECT *,
        1 + pool * 100 + CAST(floor({u(*line_key, salt="code")} * 100) AS BIGINT) AS slot,
        CASE WHEN rev_line THEN -1 ELSE 1 END AS sign
    FROM attended
), amounts AS (
    SELECT *,
        {_list(pool_codes)}[slot] AS code,
        round({_list(pool_prices)}[slot] * (0.8 + 0.4 * uamt), 2) AS allowed_raw
    FROM priced
)
SELECT
    CAST(person_id AS VARCHAR) AS {_q(c.person_id)},
    CAST('C' || lpad(CAST(ck AS VARCHAR), {cw}, '0') AS VARCHAR) AS {_q(c.claim_id)},
    CAST(n AS INTEGER) AS {_q(c.claim_line_number)},
    CAST(CASE WHEN {u("anchor", salt="encounter")} < 0.8
              THEN 'E' || lpad(CAST(anchor AS VARCHAR), {cw}, '0') END AS VARCHAR)
        AS {_q(enc_col)},
    CAST(CASE WHEN NOT facility AND {u(*line_key, salt="null-npi")} >= 0.01 THEN npi END
        AS VARCHAR) AS {_q(c.rendering_npi)},
    CAST(code AS VARCHAR) AS {_q(c.hcpcs_code)},
    start_date AS {_q(c.claim_start_date)},
    CAST(start_date + CASE WHEN ulos < 0.7 THEN 0 WHEN ulos < 0.85 THEN 1
                           WHEN ulos < 0.95 THEN 2 ELSE 3 END AS DATE)
        AS {_q(c.claim_end_date)},
    CAST(CASE WHEN uallow < 0.05 THEN NULL WHEN uallow < 0.07 THEN 0
              ELSE sign * allowed_raw END AS DECIMAL(18, 2)) AS {_q(c.allowed_amount)},
    CAST(sign * round(allowed_raw * (0.55 + 0.3 * upaid), 2) AS DECIMAL(18, 2))
        AS {_q(c.paid_amount)},
    CAST(CASE WHEN {u(*line_key, salt="null-tin")} >= 0.02 THEN billing_tin END AS VARCHAR)
        AS {_q(c.tin or "tin")},
    CAST(revenue_code AS VARCHAR) AS {_q(c.revenue_center_code or "revenue_center_code")},
    CAST(attending AS VARCHAR) AS {_q(c.attending_npi or "attending_npi")}
FROM amounts
"""

    # ACO roster: TINs of in-directory providers; 60 % participate, drawn without replacement
    # with weights = providers in the TIN (so larger practices join more often), and are dealt
    # round-robin to the ACOs; with 5 or more participants, ~10 % of them move to the next ACO
    # mid-range (per NPI a row ending and a row starting the next day). Among the other rows,
    # in hash order, the first NPI joins mid-range and the second leaves mid-range (then ~6 % /
    # ~4 % of the rest; the first two are not PCPs when there are others, so small rosters keep
    # their PCPs).
    r = x.roster

    def mid_start(col: str) -> str:
        return month_date(f"greatest(0, least({months - 1}, 1 + floor({col} * {months - 1})))")

    def mid_end(col: str) -> str:
        return f"last_day({month_date(f'floor({col} * {months - 1})')})"

    aco_rows = f"""
CREATE TABLE {names.roster} AS
WITH tins AS (
    SELECT tin_key, min(tin) AS tin, count(*) AS size
    FROM {roster_t} WHERE in_directory GROUP BY tin_key
), ranked AS (
    SELECT *, row_number() OVER (
            ORDER BY ln(greatest({u("tin_key", salt="aco")}, 1e-12)) / size DESC, tin_key
        ) AS rn,
        count(*) OVER () AS n
    FROM tins
), part AS (
    SELECT tin_key, tin, row_number() OVER (ORDER BY rn) AS prn, count(*) OVER () AS np,
        {u("tin_key", salt="aco-move")} AS um,
        {u("tin_key", salt="aco-move-at")} AS uat
    FROM ranked WHERE rn <= greatest(1, round(0.6 * n))
), acos AS (
    SELECT tin_key, tin,
        CASE WHEN np >= 9 THEN 3 WHEN np >= 2 THEN 2 ELSE 1 END AS n_aco,
        (prn - 1) % CASE WHEN np >= 9 THEN 3 WHEN np >= 2 THEN 2 ELSE 1 END AS aco_idx,
        np >= 5 AND um < 0.1 AS moves,
        {mid_end("uat")} AS moved_at
    FROM part
), spans AS (
    SELECT tin_key, tin, aco_idx, moves, CAST(NULL AS DATE) AS start_date,
        CASE WHEN moves THEN moved_at END AS end_date
    FROM acos
    UNION ALL
    SELECT tin_key, tin, (aco_idx + 1) % n_aco, moves, CAST(moved_at + 1 AS DATE),
        CAST(NULL AS DATE)
    FROM acos WHERE moves
), npis AS (
    SELECT p.npi, s.*,
        row_number() OVER (PARTITION BY s.moves
            ORDER BY p.ptype = 'pcp', {u("p.npi", salt="aco-dates")}, p.npi) AS drn,
        {u("p.npi", salt="aco-dates")} AS ud,
        {u("p.npi", salt="aco-start")} AS us,
        {u("p.npi", salt="aco-end")} AS ue
    FROM spans s JOIN {roster_t} p ON p.tin_key = s.tin_key AND p.in_directory
)
SELECT CAST(npi AS VARCHAR) AS {_q(r.npi)},
    CAST(tin AS VARCHAR) AS {_q(r.tin or "tin")},
    CAST('A' || lpad(CAST(aco_idx + 1 AS VARCHAR), 4, '0') AS VARCHAR) AS {_q(r.aco_id)},
    CAST(CASE WHEN NOT moves AND (drn = 1 OR (drn > 2 AND ud < 0.06)) THEN {mid_start("us")}
              ELSE start_date END AS DATE) AS {_q(r.start_date or "start_date")},
    CAST(CASE WHEN NOT moves AND (drn = 2 OR (drn > 2 AND ud >= 0.06 AND ud < 0.1))
              THEN {mid_end("ue")} ELSE end_date END AS DATE) AS {_q(r.end_date or "end_date")}
FROM npis
"""

    # Attestation: the facility lines' attending NPIs except the first ~20 % in hash order.
    att_col = _q(c.attending_npi or "attending_npi")
    attested = f"""
CREATE TABLE {names.attested} AS
WITH a AS (
    SELECT DISTINCT {att_col} AS npi FROM {names.claims} WHERE {att_col} IS NOT NULL
), ranked AS (
    SELECT npi, row_number() OVER (ORDER BY {u("npi", salt="attest")}, npi) AS rn,
        count(*) OVER () AS n
    FROM a
)
SELECT CAST(npi AS VARCHAR) AS {_q(x.attested.npi)}
FROM ranked WHERE n = 1 OR rn > greatest(1, round(0.2 * n))
"""

    # Self-selections of in-directory PCPs (home PCP, or another one when the home PCP is a
    # ghost or for ~25 %); effective within enrolment, or after the last month.
    n_pcp = n_dir_pcp
    other = f"% {n_pcp}"
    sel = x.selections
    selections = f"""
CREATE TABLE {names.selections} AS
WITH chosen AS (
    SELECT i, person_id, s, e,
        CASE WHEN pcp_rank < {n_pcp} AND {u("i", salt="ss-other")} >= 0.25 THEN pcp_rank
             ELSE (CASE WHEN pcp_rank < {n_pcp} THEN pcp_rank ELSE 0 END + 1
                   + CAST(floor({u("i", salt="ss-pick")} * {n_pcp - 1}) AS BIGINT)) {other}
        END AS d,
        {u("i", salt="ss-state")} AS ust,
        CASE WHEN {u("i", salt="ss-state")} < 0.1
             THEN CAST({last_sql} + 1
                  + CAST(floor({u("i", salt="ss-day")} * 90) AS INTEGER) AS DATE)
             ELSE CAST({month_date(f"s + floor({u('i', salt='ss-month')} * (e - s + 1))")}
                  + CAST(floor({u("i", salt="ss-day")} * 28) AS INTEGER) AS DATE)
        END AS eff
    FROM {members_t} WHERE {u("i", salt="ss")} < 0.12
), ended AS (
    SELECT *,
        CASE WHEN ust >= 0.1 AND ust < 0.32 AND eff <= {last_sql} - 60
             THEN CAST(eff + 30 + CAST(floor({u("i", salt="ss-len")}
                  * ({last_sql} - eff - 30)) AS INTEGER) AS DATE) END AS end_date
    FROM chosen
), spans AS (
    SELECT person_id, d, eff, end_date FROM ended
    UNION ALL
    SELECT person_id,
        (d + 1 + CAST(floor({u("i", salt="ss-next-pick")} * {n_pcp - 1}) AS BIGINT)) {other},
        CAST(end_date + 1 AS DATE), CAST(NULL AS DATE)
    FROM ended WHERE end_date IS NOT NULL AND {u("i", salt="ss-next")} < 0.5
)
SELECT CAST(s.person_id AS VARCHAR) AS {_q(sel.person_id)},
    CAST(r.npi AS VARCHAR) AS {_q(sel.npi)},
    CAST(s.eff AS DATE) AS {_q(sel.effective_date)},
    CAST(s.end_date AS DATE) AS {_q(sel.end_date or "end_date")}
FROM spans s JOIN {roster_t} r ON r.ptype = 'pcp' AND r.trank = s.d
"""

    # Geographic (plan-assigned) PMPs: a random in-directory PCP from enrolment start.
    geo = x.geographic
    geographic = f"""
CREATE TABLE {names.geographic} AS
SELECT CAST(m.person_id AS VARCHAR) AS {_q(geo.person_id)},
    CAST(r.npi AS VARCHAR) AS {_q(geo.npi)},
    {month_date("m.s")} AS {_q(geo.effective_date)},
    CAST(NULL AS DATE) AS {_q(geo.end_date or "end_date")}
FROM {members_t} m
JOIN {roster_t} r ON r.ptype = 'pcp'
    AND r.trank = CAST(floor({u("m.i", salt="geo-pcp")} * {n_pcp}) AS BIGINT)
WHERE {u("m.i", salt="geo")} < 0.9
"""
    setup = [f"CREATE SCHEMA IF NOT EXISTS {_q(s)}" for s in names.schemas]
    setup += [f"DROP TABLE IF EXISTS {t}" for t in names.tables]
    setup += [roster, sites, members, eligibility, providers, claims]
    setup += [aco_rows, attested, selections, geographic]
    cleanup = [f"DROP TABLE IF EXISTS {t}" for t in (members_t, sites_t, roster_t)]
    return setup, cleanup


def _run_duckdb(execute: Callable[[str], Any], spec: SyntheticSpec, inputs: Inputs) -> None:
    setup, cleanup = _statements(spec, inputs)
    for statement in setup:  # on failure the caller's rollback discards the temp tables
        execute(statement)
    for statement in cleanup:
        execute(statement)


def _target_tables(inputs: Inputs) -> tuple[sa.Table, ...]:
    c, e, p = inputs.claims, inputs.eligibility, inputs.providers
    x = _extras(inputs)
    md = sa.MetaData()
    claims = sa.Table(
        c.name,
        md,
        sa.Column(c.person_id, sa.String(64)),
        sa.Column(c.claim_id, sa.String(64)),
        sa.Column(c.claim_line_number, sa.Integer),
        sa.Column(c.encounter_id or "encounter_id", sa.String(64)),
        sa.Column(c.rendering_npi, sa.String(16)),
        sa.Column(c.hcpcs_code, sa.String(16)),
        sa.Column(c.claim_start_date, sa.Date),
        sa.Column(c.claim_end_date, sa.Date),
        sa.Column(c.allowed_amount, sa.Numeric(18, 2)),
        sa.Column(c.paid_amount, sa.Numeric(18, 2)),
        sa.Column(c.tin or "tin", sa.String(9)),
        sa.Column(c.revenue_center_code or "revenue_center_code", sa.String(4)),
        sa.Column(c.attending_npi or "attending_npi", sa.String(16)),
        schema=c.schema,
    )
    month: sa.Column[Any] = (
        sa.Column(e.year_month, sa.String(6))
        if e.year_month is not None
        else sa.Column(e.month_start, sa.Date)
    )
    eligibility = sa.Table(
        e.name,
        md,
        sa.Column(e.person_id, sa.String(64)),
        month,
        sa.Column("payer", sa.String(32)),
        schema=e.schema,
    )
    providers = sa.Table(
        p.name,
        md,
        sa.Column(p.npi, sa.String(16)),
        sa.Column(p.classification, sa.String(32)),
        sa.Column(p.entity_type or "entity_type_code", sa.String(1)),
        schema=p.schema,
    )
    r = x.roster
    roster = sa.Table(
        r.name,
        md,
        sa.Column(r.npi, sa.String(16)),
        sa.Column(r.tin or "tin", sa.String(9)),
        sa.Column(r.aco_id, sa.String(16)),
        sa.Column(r.start_date or "start_date", sa.Date),
        sa.Column(r.end_date or "end_date", sa.Date),
        schema=r.schema,
    )
    attested = sa.Table(
        x.attested.name, md, sa.Column(x.attested.npi, sa.String(16)), schema=x.attested.schema
    )
    selections = [
        sa.Table(
            t.name,
            md,
            sa.Column(t.person_id, sa.String(64)),
            sa.Column(t.npi, sa.String(16)),
            sa.Column(t.effective_date, sa.Date),
            sa.Column(t.end_date or "end_date", sa.Date),
            schema=t.schema,
        )
        for t in (x.selections, x.geographic)
    ]
    return claims, eligibility, providers, roster, attested, *selections


def _copy(conn: sa.Connection, spec: SyntheticSpec, inputs: Inputs) -> None:
    """Generate in an in-memory DuckDB and insert the rows into ``conn``'s database."""
    import duckdb

    tables = _target_tables(inputs)
    names = _names(inputs)
    for schema in names.schemas:
        conn.execute(sa.schema.CreateSchema(schema, if_not_exists=True))
    for table in tables:
        table.drop(conn, checkfirst=True)
        table.create(conn)
    source = duckdb.connect(":memory:")
    try:
        _run_duckdb(source.execute, spec, inputs)
        for table, qualified in zip(tables, names.tables, strict=True):
            keys = [col.name for col in table.columns]
            cursor = source.execute(f"SELECT {', '.join(_q(k) for k in keys)} FROM {qualified}")
            while rows := cursor.fetchmany(_CHUNK):
                conn.execute(sa.insert(table), [dict(zip(keys, row, strict=True)) for row in rows])
    finally:
        source.close()


def _counts(conn: sa.Connection, inputs: Inputs) -> dict[str, int]:
    result = {}
    for schema, name in _all_tables(inputs):
        count = conn.execute(
            sa.select(sa.func.count()).select_from(sa.table(name, schema=schema))
        ).scalar_one()
        result[_label(schema, name)] = int(count)
    return result


def _generate_on(conn: sa.Connection, spec: SyntheticSpec, inputs: Inputs) -> dict[str, int]:
    if conn.dialect.name == "duckdb":
        _run_duckdb(conn.exec_driver_sql, spec, inputs)
    else:
        _copy(conn, spec, inputs)
    return _counts(conn, inputs)


_T = TypeVar("_T")


def in_transaction(target: sa.Engine | sa.Connection, work: Callable[[sa.Connection], _T]) -> _T:
    """Run ``work`` on ``target``: an Engine in its own transaction; a Connection inside its
    current transaction, or in a new one it commits."""
    if isinstance(target, sa.Engine):
        with target.begin() as conn:
            return work(conn)
    if target.in_transaction():
        return work(target)
    with target.begin():
        return work(target)


def generate(
    target: sa.Engine | sa.Connection, spec: SyntheticSpec, *, inputs: Inputs = _TUVA_INPUTS
) -> dict[str, int]:
    """Create (replacing) the input tables of ``inputs`` filled per ``spec``.

    Besides the three required inputs, the optional ones of :func:`demo_inputs` (``inputs``)
    are written: an ACO roster, attested NPIs, self-selections and geographic assignments, by
    default next to the claims table; map the claims' extra columns with :func:`demo_inputs`.

    DuckDB targets run the generating SQL in place; other engines receive rows generated in an
    in-memory DuckDB through chunked Core inserts (meant for test-sized data). An Engine is used
    in its own transaction; a Connection is committed only if it was not already in one.
    Returns the row count of each of the seven tables, keyed ``schema.name`` (or ``name``).
    """
    spec.validate()
    return in_transaction(target, lambda conn: _generate_on(conn, spec, inputs))
