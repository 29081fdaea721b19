"""The synthetic data generator: determinism, sizes, NPI validity, planned shapes, other engines.

Also the optional inputs of the MSSP / Medicaid / REACH methods: TINs, FQHC/RHC lines, the ACO
roster, attestation, self-selections and geographic assignments.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
from collections import Counter, defaultdict
from dataclasses import replace
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa

from provider_attribution.model.inputs import (
    Classification,
    EligibilityTable,
    Inputs,
    NpiListTable,
    RosterTable,
    SelectionTable,
)
from provider_attribution.model.valuesets import ValueSets
from provider_attribution.synthetic.claims import SyntheticSpec, demo_inputs, generate
from provider_attribution.warehouse.run import attribute

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
    "tin": sa.String,
    "revenue_center_code": sa.String,
    "attending_npi": sa.String,
}
ELIGIBILITY_COLUMNS: Columns = {"person_id": sa.String, "year_month": sa.String, "payer": sa.String}
PROVIDER_COLUMNS: Columns = {
    "npi": sa.String,
    "primary_taxonomy_code": sa.String,
    "entity_type_description": sa.String,
}
ROSTER_COLUMNS: Columns = {
    "npi": sa.String,
    "tin": sa.String,
    "aco_id": sa.String,
    "start_date": sa.Date,
    "end_date": sa.Date,
}
SELECTION_COLUMNS: Columns = {
    "person_id": sa.String,
    "npi": sa.String,
    "effective_date": sa.Date,
    "end_date": sa.Date,
}
TABLES = (
    ("medical_claim", "core", CLAIM_COLUMNS),
    ("member_months", "core", ELIGIBILITY_COLUMNS),
    ("provider", "terminology", PROVIDER_COLUMNS),
    ("aco_participants", "core", ROSTER_COLUMNS),
    ("attested_npis", "core", {"npi": sa.String}),
    ("self_selections", "core", SELECTION_COLUMNS),
    ("geographic_assignments", "core", SELECTION_COLUMNS),
)
FQHC_CODES = {"0521", "0522", "0524", "0525"}


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
    """All generated tables as lists of dicts with canonical Python values."""
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
    for name, _, _ in TABLES:
        assert checksum({name: other[name]}) != checksum({name: data[name]})


def test_row_counts(generated: tuple[dict[str, int], dict[str, list[Row]]]) -> None:
    counts, data = generated
    assert counts == {f"{schema}.{name}": len(data[name]) for name, schema, _ in TABLES}
    assert list(counts) == [f"{schema}.{name}" for name, schema, _ in TABLES]
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
    kinds = Counter(r["entity_type_description"] for r in data["provider"])
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
    professional = [r for r in lines if r["revenue_center_code"] is None]
    null_npi = [r for r in professional if r["rendering_npi"] is None]
    assert 1 <= len(null_npi) <= 0.03 * len(professional)


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


# --- TINs, FQHC/RHC lines and the optional inputs -------------------------------------------


def buckets_by_npi(data: dict[str, list[Row]]) -> dict[str, str]:
    vs = ValueSets.for_year(2023)
    return {
        r["npi"]: vs.specialty_bucket.get(
            vs.taxonomy_specialty.get(r["primary_taxonomy_code"], ""), "unknown"
        )
        for r in data["provider"]
    }


def tin_by_npi(data: dict[str, list[Row]]) -> dict[str, set[str]]:
    """Billing TINs seen on the claims of each rendering or attending NPI."""
    tins: dict[str, set[str]] = defaultdict(set)
    for r in data["medical_claim"]:
        npi = r["rendering_npi"] or r["attending_npi"]
        if npi and r["tin"]:
            tins[npi].add(r["tin"])
    return tins


def test_practice_tins(data: dict[str, list[Row]]) -> None:
    lines = data["medical_claim"]
    tins = tin_by_npi(data)
    assert all(len(t) == 1 for t in tins.values())  # each provider bills under one TIN
    assert all(len(t) == 9 and t.isdigit() for ts in tins.values() for t in ts)
    sizes = Counter(next(iter(ts)) for ts in tins.values())
    assert max(sizes.values()) <= 8
    assert sum(n >= 3 for n in sizes.values()) >= 2  # practices of several providers
    orgs = {r["npi"] for r in data["provider"] if r["entity_type_description"] == "2"}
    assert orgs & set(tins)
    assert all(sizes[next(iter(tins[o]))] == 1 for o in orgs & set(tins))  # their own TIN
    null_tin = [r for r in lines if r["tin"] is None]
    assert 0.005 * len(lines) <= len(null_tin) <= 0.04 * len(lines)


def test_fqhc_lines(data: dict[str, list[Row]]) -> None:
    lines = data["medical_claim"]
    claims = claims_by_id(data)
    for claim in claims.values():
        assert len({r["revenue_center_code"] for r in claim}) == 1
        assert len({r["attending_npi"] for r in claim}) == 1
    facility = [c for c in claims.values() if c[0]["revenue_center_code"] is not None]
    assert 0.015 <= len(facility) / len(claims) <= 0.05
    fac = [r for r in lines if r["revenue_center_code"] is not None]
    assert {r["revenue_center_code"] for r in fac} == FQHC_CODES | {"0450"}
    assert all(r["rendering_npi"] is None and r["attending_npi"] is not None for r in fac)
    assert all(r["attending_npi"] is None for r in lines if r["revenue_center_code"] is None)
    fqhc = [r for r in fac if r["revenue_center_code"] in FQHC_CODES]
    assert len(fqhc) > 2 * (len(fac) - len(fqhc)) > 0  # a few emergency (0450) lines
    first = Counter(r["hcpcs_code"] for r in fqhc if r["claim_line_number"] == 1)
    assert first["T1015"] + first["G0466"] + first["G0467"] > sum(first.values()) / 2
    assert not {"T1015", "G0466", "G0467"} & ValueSets.for_year(2025).primary_care_hcpcs
    buckets = buckets_by_npi(data)
    attending = Counter(buckets.get(r["attending_npi"]) for r in fac)
    assert set(attending) <= {"pcp", "npp"}
    assert attending["pcp"] > len(fac) / 2


def test_attestation(data: dict[str, list[Row]]) -> None:
    attested = [r["npi"] for r in data["attested_npis"]]
    assert len(set(attested)) == len(attested)
    attending = {r["attending_npi"] for r in data["medical_claim"] if r["attending_npi"]}
    assert set(attested) < attending
    unattested = attending - set(attested)
    assert len(unattested) <= max(1, round(0.3 * len(attending)))
    assert any(
        r["revenue_center_code"] in FQHC_CODES and r["attending_npi"] in unattested
        for r in data["medical_claim"]
    )


def test_aco_roster(data: dict[str, list[Row]]) -> None:
    roster = data["aco_participants"]
    directory = {r["npi"] for r in data["provider"]}
    assert {r["npi"] for r in roster} <= directory
    acos = {r["aco_id"] for r in roster}
    assert 2 <= len(acos) <= 3
    assert all(len(a) == 5 and a[0] == "A" and a[1:].isdigit() for a in acos)
    tins = {npi: next(iter(ts)) for npi, ts in tin_by_npi(data).items()}
    assert all(r["tin"] == tins[r["npi"]] for r in roster if r["npi"] in tins)
    participating = {r["tin"] for r in roster}
    listed = {r["npi"] for r in roster}
    assert {n for n, t in tins.items() if t in participating and n in directory} <= listed
    assert 0.3 <= len(participating) / len(set(tins.values())) <= 0.85
    starts = [r["start_date"] for r in roster if r["start_date"] is not None]
    ends = [r["end_date"] for r in roster if r["end_date"] is not None]
    assert starts
    assert ends
    assert all(SPEC.start < d <= SPEC.last_day and d.day == 1 for d in starts)
    assert all(SPEC.start <= d < SPEC.last_day for d in ends)
    open_rows = [r for r in roster if r["start_date"] is None and r["end_date"] is None]
    assert len(open_rows) >= len(roster) / 3
    spans: dict[str, list[tuple[dt.date, dt.date]]] = defaultdict(list)
    for r in roster:
        spans[r["npi"]].append((r["start_date"] or dt.date.min, r["end_date"] or dt.date.max))
    for npi_spans in spans.values():  # one ACO at a time
        npi_spans.sort()
        assert all(a[0] <= a[1] < b[0] for a, b in itertools.pairwise(npi_spans))


def test_self_selections(data: dict[str, list[Row]]) -> None:
    selections = data["self_selections"]
    members = {r["person_id"] for r in data["member_months"]}
    people = {r["person_id"] for r in selections}
    assert people <= members
    assert 0.07 <= len(people) / len(members) <= 0.18
    buckets = buckets_by_npi(data)
    assert all(buckets.get(r["npi"]) == "pcp" for r in selections)
    assert len({(r["person_id"], r["effective_date"]) for r in selections}) == len(selections)
    ended = [r for r in selections if r["end_date"] is not None]
    future = [r for r in selections if r["effective_date"] > SPEC.last_day]
    assert ended
    assert future
    assert all(r["effective_date"] < r["end_date"] < SPEC.last_day for r in ended)
    seen = {(r["person_id"], r["rendering_npi"]) for r in data["medical_claim"]}
    claimants = {p for p, _ in seen}
    mine = [r for r in selections if r["person_id"] in claimants]
    share = sum((r["person_id"], r["npi"]) in seen for r in mine) / len(mine)
    assert 0.4 <= share <= 0.95  # mostly the home PCP, some another one


def test_geographic_assignments(data: dict[str, list[Row]]) -> None:
    geographic = data["geographic_assignments"]
    months = enrolled(data)
    assert len({r["person_id"] for r in geographic}) == len(geographic)
    assert 0.85 <= len(geographic) / len(months) <= 0.95
    buckets = buckets_by_npi(data)
    assert all(buckets.get(r["npi"]) == "pcp" for r in geographic)
    assert len({r["npi"] for r in geographic}) > 1
    for r in geographic:
        effective = r["effective_date"]
        assert effective.day == 1
        assert month_index(effective.strftime("%Y%m")) == min(months[r["person_id"]])
        assert r["end_date"] is None


def test_demo_inputs() -> None:
    inputs = demo_inputs()
    claims = inputs.claims
    assert (claims.encounter_id, claims.tin, claims.revenue_center_code, claims.attending_npi) == (
        "encounter_id",
        "tin",
        "revenue_center_code",
        "attending_npi",
    )
    assert inputs.roster == RosterTable(schema="core")
    assert inputs.attested == NpiListTable(schema="core")
    assert inputs.self_selections == SelectionTable(schema="core")
    assert inputs.geographic == SelectionTable(name="geographic_assignments", schema="core")
    moved = demo_inputs(Inputs().in_schema(None))
    assert moved.roster is not None
    assert moved.roster.schema is None
    kept = demo_inputs(replace(Inputs(), claims=replace(Inputs().claims, tin="billing_tin")))
    assert kept.claims.tin == "billing_tin"
    assert demo_inputs(kept) == kept


def test_demo_inputs_drive_the_other_methods() -> None:
    spec = SyntheticSpec(members=400, seed=2)
    engine = sa.create_engine("duckdb:///:memory:")
    try:
        generate(engine, spec)
        inputs = demo_inputs()
        mssp = attribute(engine, inputs, method="mssp", as_of=spec.last_day, years=[])
        (current,) = mssp.scopes
        assert mssp.fqhc_lines_excluded > 0
        assert current.by_type.get("claims", 0) > current.members / 3
        assert current.by_type.get("self_selection", 0) > 0
        medicaid = attribute(engine, inputs, method="medicaid", as_of=spec.last_day, years=[])
        (current,) = medicaid.scopes
        assert current.by_type.get("self_selection", 0) > 0
        assert current.by_type.get("geographic", 0) > 0
    finally:
        engine.dispose()


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
        claims=replace(
            base.claims, name="lines", person_id="member", encounter_id="visit", tin="billing"
        ),
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
        attested=NpiListTable(name="fqhc_npis", schema="other", npi="provider"),
    )
    engine = sa.create_engine("duckdb:///:memory:")
    with engine.connect() as conn:
        counts = generate(conn, spec, inputs=inputs)
        assert not conn.in_transaction()
        assert counts["synth.lines"] == 480
        assert set(counts) == {
            "synth.lines",
            "synth.elig",
            "synth.docs",
            "synth.aco_participants",
            "other.fqhc_npis",
            "synth.self_selections",
            "synth.geographic_assignments",
        }
        row = conn.exec_driver_sql(
            "SELECT count(billing), count(revenue_center_code), count(attending_npi) "
            "FROM synth.lines"
        ).one()
        assert row[0] > 400
        assert 0 < row[1] == row[2] < 48
        assert counts["other.fqhc_npis"] == len(
            conn.exec_driver_sql("SELECT DISTINCT provider FROM other.fqhc_npis").all()
        )
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
    clash = replace(Inputs(), geographic=SelectionTable(schema="core"))  # = self_selections
    with pytest.raises(ValueError, match="distinct names"):
        generate(engine, SyntheticSpec(members=10), inputs=clash)
    engine.dispose()
