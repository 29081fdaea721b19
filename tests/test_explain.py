"""``explain``: a person's candidates and the rule that decided, on hand-built scenarios."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from harness import Dataset, load
from provider_attribution.analysis.explain import (
    Candidate,
    ExplainError,
    KeyExplanation,
    decisive_rule,
    explain,
)
from provider_attribution.cli import main
from provider_attribution.engines import output_tables
from provider_attribution.model import outputs
from provider_attribution.model.method import MEDICAID, REACH, TUVA
from provider_attribution.model.method import Path as MethodPath
from provider_attribution.warehouse.run import attribute
from scenarios import FALLBACK, PCP, PCP2, PROVIDERS, line, months

AS_OF = dt.date(2024, 6, 30)
SELF_FIRST = replace(
    MEDICAID, name="self_first", paths=(MethodPath.SELF_SELECTION, MethodPath.CLAIMS)
)

TUVA_PEOPLE = ["only", "step", "amount", "visits", "tie", "none", "12345"]
TUVA_CLAIMS = [
    line("only", PCP, "99213", "2024-05-02", "100"),
    line("step", PCP2, "99213", "2024-05-02", "50"),
    line("step", PCP, "99213", "2023-01-15", "900"),  # only in the 24-month windows: step 3
    line("amount", PCP, "99213", "2024-05-02", "310"),
    line("amount", PCP2, "99213", "2024-05-03", "250"),
    *(line("visits", PCP, "99213", f"2024-05-0{day}", "40") for day in (1, 2, 3)),
    *(line("visits", PCP2, "99213", f"2024-05-0{day}", "60") for day in (1, 2)),
    line("tie", PCP2, "99213", "2024-05-02", "100"),
    line("tie", PCP, "99213", "2024-05-02", "100"),
    line("12345", PCP, "99213", "2024-05-02", "75"),
]
MEDICAID_CLAIMS = [
    line("later", PCP, "99213", "2024-03-01", "100"),
    line("later", PCP2, "99213", "2024-05-01", "100"),
    line("chose", PCP, "99213", "2024-05-01", "500"),
]
SELECTIONS = [
    {"person_id": "chose", "npi": PCP2, "effective_date": dt.date(2024, 1, 1), "end_date": None}
]


def _eligibility(people: list[str]) -> list[dict[str, object]]:
    return [row for person in people for row in months(person, "2023-01", "2024-12")]


@pytest.fixture(scope="module")
def url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A DuckDB file with Tuva outputs in ``out_a`` and self-selection-first ones in ``out_b``."""
    db = tmp_path_factory.mktemp("explain") / "w.duckdb"
    engine = sa.create_engine(f"duckdb:///{db}")
    tuva = Dataset(claims=TUVA_CLAIMS, eligibility=_eligibility(TUVA_PEOPLE), providers=PROVIDERS)
    attribute(engine, load(engine, tuva, "raw_a"), as_of=AS_OF, years=[2024], target_schema="out_a")
    medicaid = Dataset(
        claims=MEDICAID_CLAIMS,
        eligibility=_eligibility(["later", "chose"]),
        providers=PROVIDERS,
        self_selections=SELECTIONS,
    )
    inputs = load(engine, medicaid, "raw_b")
    attribute(engine, inputs, method=SELF_FIRST, as_of=AS_OF, years=[], target_schema="out_b")
    engine.dispose()
    return f"duckdb:///{db}"


def _one(url: str, person: str, schema: str = "out_a") -> KeyExplanation:
    """The current-scope explanation of ``person``."""
    engine = sa.create_engine(url)
    try:
        method = SELF_FIRST if schema == "out_b" else TUVA
        items = explain(engine, person, schema, method=method, scope="current")
    finally:
        engine.dispose()
    assert len(items) == 1
    return items[0]


@pytest.mark.parametrize(
    ("person", "winner", "rule"),
    [
        ("only", PCP, "only candidate"),
        ("step", PCP2, "earlier step: step 1 beats step 3"),
        ("amount", PCP, "larger allowed amount at step 1: 310.00 vs 250.00"),
        ("visits", PCP, "same allowed amount 120.00, more visits: 3 vs 2"),
        ("tie", PCP, f"full tie: provider_id {PCP} sorts first (the deterministic tie-breaker)"),
        ("none", FALLBACK, "no assignable history: labelled fallback"),
        ("12345", PCP, "only candidate"),
    ],
)
def test_the_decisive_rule_in_words(url: str, person: str, winner: str, rule: str) -> None:
    item = _one(url, person)
    assert item.winner.provider_id == winner
    assert item.rule == rule
    assert [c.ranking for c in item.candidates] == list(range(1, len(item.candidates) + 1))


@pytest.mark.parametrize(
    ("person", "winner", "rule"),
    [
        (
            "later",
            PCP2,
            "same amount and visits, later last service date: 2024-05-01 vs 2024-03-01",
        ),
        ("chose", PCP2, "self-selection comes before claims in this method"),
    ],
)
def test_the_methods_paths_and_ranking_keys_decide(
    url: str, person: str, winner: str, rule: str
) -> None:
    item = _one(url, person, "out_b")
    assert item.winner.provider_id == winner
    assert item.rule == rule


def test_candidates_carry_step_window_amount_and_visits(url: str) -> None:
    first, second = _one(url, "step").candidates
    assert (first.step, first.allowed_amount, first.visits) == (1, Decimal("50.00"), 1)
    assert first.step_description == TUVA.passes[0].description
    assert (first.lookback_start_date, first.lookback_end_date) == (dt.date(2023, 7, 1), AS_OF)
    assert (second.step, second.allowed_amount, second.ranking) == (3, Decimal("900.00"), 2)
    assert second.lookback_start_date == dt.date(2022, 7, 1)
    assert second.last_service_date == dt.date(2023, 1, 15)


def test_every_scope_key_or_the_one_asked_for(url: str) -> None:
    engine = sa.create_engine(url)
    try:
        both = explain(engine, "amount", "out_a", method=TUVA)
        yearly = explain(engine, "amount", "out_a", method=TUVA, key="2024")
        current = explain(engine, "amount", "out_a", method=TUVA, key="2024-06-30")
    finally:
        engine.dispose()
    assert [(i.scope, i.key) for i in both] == [("current", "2024-06-30"), ("yearly", "2024")]
    assert [(i.scope, i.attribution_key) for i in yearly] == [("yearly", "yearly|2024|amount")]
    assert [i.scope for i in current] == ["current"]


def test_an_unknown_person_names_the_table_and_the_id(url: str) -> None:
    engine = sa.create_engine(url)
    try:
        with pytest.raises(ExplainError, match=r"'nobody' has no rows in out_a\.provider_ranking"):
            explain(engine, "nobody", "out_a", method=TUVA)
        with pytest.raises(ExplainError, match=r"no output table missing\.provider_ranking"):
            explain(engine, "only", "missing", method=TUVA)
        with pytest.raises(ValueError, match="not a date"):
            explain(engine, "only", "out_a", method=TUVA, scope="current", key="2024")
    finally:
        engine.dispose()


def _candidate(provider_id: str, amount: str, **changes: object) -> Candidate:
    base = Candidate(
        ranking=1,
        attribution_type="claims",
        provider_id=provider_id,
        unit_type="aco",
        top_npi=None,
        provider_bucket="pcp",
        prov_specialty=None,
        step=1,
        step_description="step 1",
        allowed_amount=Decimal(amount),
        visits=1,
        last_service_date=dt.date(2024, 5, 1),
        lookback_start_date=None,
        lookback_end_date=None,
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def test_a_weighted_amount_equal_after_rounding_is_not_called_a_tie() -> None:
    first, second = _candidate("B", "1.00"), _candidate("A", "1.00", ranking=2)
    assert decisive_rule(REACH, first, second).startswith("larger weighted allowed amount")


def test_a_weighted_full_tie_says_the_amounts_may_differ_under_a_cent() -> None:
    first, second = _candidate("A", "1.00"), _candidate("B", "1.00", ranking=2)
    assert decisive_rule(REACH, first, second).startswith("full tie: provider_id A sorts first")
    assert "under a cent" in decisive_rule(REACH, first, second)
    assert "under a cent" not in decisive_rule(TUVA, first, second)


def test_integer_person_ids_are_compared_as_text(tmp_path: Path) -> None:
    engine = sa.create_engine(f"duckdb:///{tmp_path / 'ints.duckdb'}")
    columns = [
        sa.Column(name, sa.Integer() if name == "person_id" else output_tables.SQL_TYPES[kind])
        for name, kind, _ in outputs.COLUMNS[outputs.RANKING]
    ]
    table = sa.Table(outputs.RANKING, sa.MetaData(), *columns)
    row: dict[str, object] = dict.fromkeys(outputs.column_names(outputs.RANKING))
    row |= {"person_id": 42, "scope": "yearly", "performance_year": 2024, "ranking": 1}
    row |= {"attribution_type": "claims", "provider_id": PCP, "step": 2, "visits": 4}
    row |= {"allowed_amount": Decimal("12.50"), "attribution_key": "yearly|2024|42"}
    with engine.begin() as conn:
        table.create(conn)
        conn.execute(table.insert(), [row])
    try:
        (item,) = explain(engine, "42", None, method=TUVA)
    finally:
        engine.dispose()
    assert (item.person_id, item.key, item.rule) == ("42", "2024", "only candidate")
    assert item.winner.allowed_amount == Decimal("12.50")


def test_a_path_order_from_another_method_is_flagged() -> None:
    first = _candidate("A", "0", attribution_type="self_selection")
    second = _candidate("B", "5", ranking=2)
    assert decisive_rule(TUVA, first, second).endswith(
        "(not this method's path order: another method?)"
    )
    assert decisive_rule(SELF_FIRST, first, second) == (
        "self-selection comes before claims in this method"
    )


def test_cli_explain_json(url: str) -> None:
    result = CliRunner().invoke(
        main,
        ["explain", "amount", "--url", url, "--schema", "out_a", "--scope", "current", "--json"],
    )
    assert result.exit_code == 0, result.output
    (item,) = json.loads(result.stdout)
    assert item["rule"] == "larger allowed amount at step 1: 310.00 vs 250.00"
    assert [c["provider_id"] for c in item["candidates"]] == [PCP, PCP2]
    assert item["candidates"][0]["allowed_amount"] == "310.00"
    assert item["candidates"][0]["lookback_start_date"] == "2023-07-01"


def test_cli_explain_text_and_method_option(url: str) -> None:
    result = CliRunner().invoke(
        main, ["explain", "chose", "--url", url, "--schema", "out_b", "--method", "medicaid"]
    )
    assert result.exit_code == 0, result.output
    assert "Decided by: self-selection ranked before claims" in result.output
    assert "2024-01-01" in result.output  # the selection's window starts at its effective date
    assert "500.00" in result.output


def test_cli_explain_unknown_person(url: str) -> None:
    runner = CliRunner()
    result = runner.invoke(main, ["explain", "nobody", "--url", url, "--schema", "out_a"])
    assert result.exit_code == 1
    assert "'nobody' has no rows in out_a.provider_ranking" in result.output
    result = runner.invoke(main, ["explain", "nobody", "--url", url, "--schema", "out_a", "--json"])
    assert result.exit_code == 1
    assert "provider_ranking" in json.loads(result.stdout)["error"]
    result = runner.invoke(main, ["explain", "only", "--url", url, "--key", "June"])
    assert result.exit_code == 2
