"""The synthetic data generator: determinism, sizes, NPI validity, planned shapes, other engines."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import Counter, defaultdict
from dataclasses import replace
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa

from provider_attribution.inputs import Classification, EligibilityTable, Inputs
from provider_attribution.synthetic import SyntheticSpec, generate
from provider_attribution.valuesets import ValueSets

SPEC = SyntheticSpec(members=300, seed=11)
CENT = Decimal("0.01")
Row = dict[str, Any]
Columns = dict[str, Any]

CLAIM_COLUMNS: Columns = {
    "person_id": sa.String,
    "claim_id": sa.String,
    "claim_line_number": sa.Integer,
    "encounter_id": sa.String,
    "rendering_npi": sa.String,
    "hcpcs_code": sa.String,
    "claim_start_date": sa.Date,
    "claim_end_date": sa.Date,
    "allowed_amount": sa.Numeric(18, 2),
    "paid_amount": sa.Numeric(18, 2),
}
ELIGIBILITY_COLUMNS: Columns = {"person_id": sa.String, "year_month": sa.String, "payer": sa.String}
PROVIDER_COLUMNS: Columns = {
    "npi": sa.String,
    "primary_taxonomy_code": sa.String,
    "entity_type_code": sa.String,
}
TABLES = (
    ("medical_claim", "core", CLAIM_COLUMNS),
    ("member_months", "core", ELIGIBILITY_COLUMNS),
    ("provider", "terminology", PROVIDER_COLUMNS),
)


def luhn_ok(npi: str) -> bool:
    """Luhn check over the ISO prefix 80840 followed by the 10-digit NPI."""
    if len(npi) != 10 or not npi.isdigit():
        return False
    total = 0
    for pos, ch in enumerate(reversed("80840" + npi)):
        d = int(ch)
        if pos % 2 == 1:
            d *= 2
            d = d - 9 if d > 9 else d
        total += d
    return total % 10 == 0


def _canon(value: Any) -> Any:
    if isinstance(value, float):
        return Decimal(str(value)).quantize(CENT)
    if isinstance(value, Decimal):
        return value.quantize(CENT)
    return value


def read_tables(engine: sa.Engine, schema_less: bool = False) -> dict[str, list[Row]]:
    """All three tables as lists of dicts with canonical Python values."""
    result = {}
    with engine.connect() as conn:
        for name, schema, columns in TABLES:
            table = sa.table(
                name,
                *(sa.column(c, t) for c, t in columns.items()),
                schema=None if schema_less else schema,
            )
            rows = conn.execute(sa.select(table)).mappings().all()
            result[name] = [{k: _canon(v) for k, v in row.items()} for row in rows]
    return result


def checksum(tables: dict[str, list[Row]]) -> str:
    """Order-independent digest of the table contents."""
    digest = hashlib.sha256()
    for name in sorted(tables):
        digest.update(name.encode())
        for line in sorted(repr(sorted(row.items())) for row in tables[name]):
            digest.update(line.encode())
    return digest.hexdigest()


def duckdb_tables(spec: SyntheticSpec) -> tuple[dict[str, int], dict[str, list[Row]]]:
    engine = sa.create_engine("duckdb:///:memory:")
    try:
        counts = generate(engine, spec)
        return counts, read_tables(engine)
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def generated() -> tuple[dict[str, int], dict[str, list[Row]]]:
    return duckdb_tables(SPEC)


@pytest.fixture(scope="module")
def data(generated: tuple[dict[str, int], dict[str, list[Row]]]) -> dict[str, list[Row]]:
    return generated[1]


def month_index(year_month: str) -> int:
    return int(year_month[:4]) * 12 + int(year_month[4:]) - 1


def enrolled(data: dict[str, list[Row]]) -> dict[str, set[int]]:
    months: dict[str, set[int]] = defaultdict(set)
    for row in data["member_months"]:
        months[row["person_id"]].add(month_index(row["year_month"]))
    return months


def claims_by_id(data: dict[str, list[Row]]) -> dict[str, list[Row]]:
    claims: dict[str, list[Row]] = defaultdict(list)
    for row in data["medical_claim"]:
        claims[row["claim_id"]].append(row)
    return claims


# --- determinism and sizes ------------------------------------------------------------------


def test_same_seed_same_tables(data: dict[str, list[Row]]) -> None:
    _, again = duckdb_tables(SPEC)
    assert checksum(again) == checksum(data)


def test_different_seed_different_tables(data: dict[str, list[Row]]) -> None:
    _, other = duckdb_tables(replace(SPEC, seed=SPEC.seed + 1))
    assert checksum(other) != checksum(data)
    for name in ("medical_claim", "member_months", "provider"):
        assert checksum({name: other[name]}) != checksum({name: data[name]})


def test_row_counts(generated: tuple[dict[str, int], dict[str, list[Row]]]) -> None:
    counts, data = generated
    assert counts == {
        "core.medical_claim": len(data["medical_claim"]),
        "core.member_months": len(data["member_months"]),
        "terminology.provider": len(data["provider"]),
    }
    assert counts["core.medical_claim"] == SPEC.members * 12
    assert counts["terminology.provider"] == max(20, SPEC.members // 150)
    assert len({r["person_id"] for r in data["member_months"]}) == SPEC.members
    assert SPEC.members * 12 <= counts["core.member_months"] <= SPEC.members * SPEC.months


def test_explicit_sizes_and_range() -> None:
    spec = SyntheticSpec(
        members=50, claim_lines=777, providers=33, start=dt.date(2021, 7, 1), months=12, seed=3
    )
    counts, data = duckdb_tables(spec)
    assert counts["core.medical_claim"] == 777
    assert counts["terminology.provider"] == 33
    months = {r["year_month"] for r in data["member_months"]}
    assert min(months) == "202107"
    assert max(months) == "202206"
    assert len(months) == 12


# --- realistic shapes -----------------------------------------------------------------------


def test_npis_pass_luhn(data: dict[str, list[Row]]) -> None:
    npis = [r["npi"] for r in data["provider"]]
    assert len(npis) == len(set(npis))
    assert all(luhn_ok(n) for n in npis), [n for n in npis if not luhn_ok(n)]
    rendering = {r["rendering_npi"] for r in data["medical_claim"] if r["rendering_npi"]}
    assert all(luhn_ok(n) for n in rendering)
    assert not luhn_ok("1234567890")  # the checker itself rejects a bad check digit


def test_provider_mix(data: dict[str, list[Row]]) -> None:
    taxonomies = ValueSets.for_year(2023).taxonomy_specialty
    kinds = Counter(r["entity_type_code"] for r in data["provider"])
    assert kinds["2"] >= 1
    assert kinds["1"] > kinds["2"]
    buckets = Counter(
        ValueSets.for_year(2023).specialty_bucket.get(
            taxonomies.get(r["primary_taxonomy_code"], ""), "unknown"
        )
        for r in data["provider"]
    )
    assert buckets["pcp"] == 9
    assert buckets["npp"] == 3
    assert buckets["specialist"] == 6
    assert buckets["unknown"] == 2  # one unmapped individual, one organisation


def test_npis_missing_from_provider_table(data: dict[str, list[Row]]) -> None:
    directory = {r["npi"] for r in data["provider"]}
    rendering = {r["rendering_npi"] for r in data["medical_claim"] if r["rendering_npi"]}
    missing = rendering - directory
    assert 1 <= len(missing) <= max(2, len(rendering) // 10)
    assert directory <= rendering | directory


def test_members_without_claims(data: dict[str, list[Row]]) -> None:
    members = {r["person_id"] for r in data["member_months"]}
    claimants = {r["person_id"] for r in data["medical_claim"]}
    assert claimants <= members
    share = len(members - claimants) / len(members)
    assert 0.04 <= share <= 0.15


def test_eligibility_gaps_and_varied_spans(data: dict[str, list[Row]]) -> None:
    months = enrolled(data)
    gapped = [p for p, ms in months.items() if max(ms) - min(ms) + 1 > len(ms)]
    assert 0.07 <= len(gapped) / len(months) <= 0.25
    starts = Counter(min(ms) for ms in months.values())
    ends = Counter(max(ms) for ms in months.values())
    assert len(starts) > 5
    assert len(ends) > 5
    years_months = Counter(r["year_month"] for r in data["member_months"])
    assert len(years_months) == SPEC.months
    assert len(data["member_months"]) == len(
        {(r["person_id"], r["year_month"]) for r in data["member_months"]}
    )


def test_some_lines_outside_enrolment(data: dict[str, list[Row]]) -> None:
    months = enrolled(data)
    outside = [
        r
        for r in data["medical_claim"]
        if (r["claim_start_date"].year * 12 + r["claim_start_date"].month - 1)
        not in months[r["person_id"]]
    ]
    assert 1 <= len(outside) <= 0.05 * len(data["medical_claim"])


def test_claim_structure(data: dict[str, list[Row]]) -> None:
    claims = claims_by_id(data)
    sizes = Counter(len(lines) for lines in claims.values())
    assert set(sizes) == {1, 2, 3, 4}
    assert sizes[1] > sizes[4]
    for lines in claims.values():
        assert sorted(r["claim_line_number"] for r in lines) == list(range(1, len(lines) + 1))
        assert len({r["person_id"] for r in lines}) == 1
        assert len({r["encounter_id"] for r in lines}) == 1
        assert len({r["claim_start_date"] for r in lines}) == 1
        for r in lines:
            assert 0 <= (r["claim_end_date"] - r["claim_start_date"]).days <= 3
    lines = data["medical_claim"]
    assert any(r["claim_end_date"] > r["claim_start_date"] for r in lines)


def test_encounters(data: dict[str, list[Row]]) -> None:
    claims = claims_by_id(data)
    with_encounter = [c for c in claims.values() if c[0]["encounter_id"] is not None]
    assert 0.7 <= len(with_encounter) / len(claims) <= 0.9
    per_encounter = Counter(c[0]["encounter_id"] for c in with_encounter)
    shared = [e for e, n in per_encounter.items() if n > 1]
    assert shared
    for claim in with_encounter:
        if per_encounter[claim[0]["encounter_id"]] > 1:
            same = [c for c in with_encounter if c[0]["encounter_id"] == claim[0]["encounter_id"]]
            assert len({c[0]["person_id"] for c in same}) == 1
            assert len({c[0]["claim_start_date"] for c in same}) == 1


def test_amounts(data: dict[str, list[Row]]) -> None:
    lines = data["medical_claim"]
    n = len(lines)
    null_allowed = [r for r in lines if r["allowed_amount"] is None]
    zero_allowed = [r for r in lines if r["allowed_amount"] == 0]
    assert 0.02 * n <= len(null_allowed) <= 0.09 * n
    assert all(r["paid_amount"] is not None for r in null_allowed)
    assert 1 <= len(zero_allowed) <= 0.05 * n
    assert all(r["paid_amount"] for r in zero_allowed)
    em = [
        r["allowed_amount"]
        for r in lines
        if r["hcpcs_code"] in {"99213", "99214"} and r["allowed_amount"] and r["allowed_amount"] > 0
    ]
    assert min(em) >= Decimal(60)
    assert max(em) <= Decimal(250)
    assert any(a != a.quantize(Decimal(1)) for a in em)  # cents


def test_reversals(data: dict[str, list[Row]]) -> None:
    claims = claims_by_id(data)
    reversed_claims = 0
    for lines in claims.values():
        negative = [r for r in lines if (r["paid_amount"] or 0) < 0]
        if not negative:
            continue
        reversed_claims += 1
        positive = {(r["hcpcs_code"], r["paid_amount"]) for r in lines if r["paid_amount"] > 0}
        first_reversal = min(r["claim_line_number"] for r in negative)
        for r in negative:
            assert (r["hcpcs_code"], -r["paid_amount"]) in positive
            assert r["claim_line_number"] >= first_reversal
        assert all(r["claim_line_number"] < first_reversal for r in lines if r["paid_amount"] > 0)
    assert 1 <= reversed_claims <= 0.05 * len(claims)


def test_codes_and_null_npi(data: dict[str, list[Row]]) -> None:
    lines = data["medical_claim"]
    primary = ValueSets.for_year(2025).primary_care_hcpcs
    non_pc = [r for r in lines if r["hcpcs_code"] not in primary]
    assert 0.2 <= len(non_pc) / len(lines) <= 0.4
    assert {"80053", "85025", "36415", "71046", "93000", "20610"} <= {
        r["hcpcs_code"] for r in non_pc
    }
    codes = {r["hcpcs_code"] for r in lines}
    assert {"99213", "99214", "99203", "G0439", "99490"} <= codes
    null_npi = [r for r in lines if r["rendering_npi"] is None]
    assert 1 <= len(null_npi) <= 0.03 * len(lines)


def test_home_pcp_dominates(data: dict[str, list[Row]]) -> None:
    primary = ValueSets.for_year(2025).primary_care_hcpcs
    by_member: dict[str, Counter[str]] = defaultdict(Counter)
    for r in data["medical_claim"]:
        if r["hcpcs_code"] in primary and r["rendering_npi"]:
            by_member[r["person_id"]][r["rendering_npi"]] += 1
    busy = [c for c in by_member.values() if sum(c.values()) >= 10]
    assert busy
    top_share = sum(c.most_common(1)[0][1] / sum(c.values()) for c in busy) / len(busy)
    assert top_share > 0.35


# --- targets and mappings -------------------------------------------------------------------


def test_sqlite_copy_matches_duckdb(
    generated: tuple[dict[str, int], dict[str, list[Row]]],
) -> None:
    counts, data = generated
    engine = sa.create_engine("sqlite://")
    try:
        sqlite_counts = generate(engine, SPEC, inputs=Inputs().in_schema(None))
        assert sqlite_counts == {k.split(".")[1]: v for k, v in counts.items()}
        assert checksum(read_tables(engine, schema_less=True)) == checksum(data)
        generate(engine, SPEC, inputs=Inputs().in_schema(None))  # replaces, does not append
        assert checksum(read_tables(engine, schema_less=True)) == checksum(data)
    finally:
        engine.dispose()


def test_connection_target_and_custom_mapping() -> None:
    spec = SyntheticSpec(members=40, seed=5)
    base = Inputs().in_schema("synth")
    inputs = Inputs(
        claims=replace(base.claims, name="lines", person_id="member", encounter_id="visit"),
        eligibility=EligibilityTable(
            name="elig", schema="synth", year_month=None, month_start="month"
        ),
        providers=replace(
            base.providers,
            name="docs",
            classification="bucket",
            classification_kind=Classification.BUCKET,
            entity_type="kind",
        ),
    )
    engine = sa.create_engine("duckdb:///:memory:")
    with engine.connect() as conn:
        counts = generate(conn, spec, inputs=inputs)
        assert not conn.in_transaction()
        assert counts["synth.lines"] == 480
        row = conn.exec_driver_sql(
            "SELECT count(DISTINCT member), count(visit) FROM synth.lines"
        ).one()
        assert 0 < row[0] <= 40
        assert row[1] > 0
        months = conn.exec_driver_sql("SELECT DISTINCT month FROM synth.elig").scalars().all()
        assert all(isinstance(m, dt.date) and m.day == 1 for m in months)
        buckets = set(conn.exec_driver_sql("SELECT bucket FROM synth.docs").scalars())
        assert buckets == {"pcp", "npp", "specialist", "unknown"}
        kinds = set(conn.exec_driver_sql("SELECT kind FROM synth.docs").scalars())
        assert kinds == {"1", "2"}
    engine.dispose()


def test_invalid_specs() -> None:
    engine = sa.create_engine("duckdb:///:memory:")
    with pytest.raises(ValueError, match="members"):
        generate(engine, SyntheticSpec(members=0))
    with pytest.raises(ValueError, match="providers"):
        generate(engine, SyntheticSpec(members=10, providers=2))
    engine.dispose()
