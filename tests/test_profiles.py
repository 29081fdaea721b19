"""The engine profile registry: names and aliases, emulators, the cautious default, and a
profile for every dialect the package prints SQL for."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from provider_attribution.emit.sqltext import SUPPORTED_DIALECTS
from provider_attribution.engines.profile import CAUTIOUS, MATERIALISABLE_STAGES
from provider_attribution.engines.profiles import PROFILES, profile_for, profile_of


@pytest.mark.parametrize(
    ("alias", "name"),
    [
        ("postgres", "postgresql"),
        ("mariadb", "mysql"),
        ("sqlite3", "sqlite"),
        ("databricks", "spark"),
    ],
)
def test_an_alias_finds_the_engines_profile(alias: str, name: str) -> None:
    assert profile_for(alias) is profile_for(name)
    assert profile_for(alias).name == name


def test_names_are_unique_across_profiles() -> None:
    names = [n for p in PROFILES for n in p.names]
    assert len(names) == len(set(names))


def test_every_printed_dialect_has_its_own_profile() -> None:
    known = {n for p in PROFILES for n in p.names}
    assert set(SUPPORTED_DIALECTS) <= known


def test_an_unknown_engine_gets_the_cautious_profile() -> None:
    profile = profile_for("no_such_engine")
    assert profile.name == "no_such_engine"
    assert profile.capabilities == CAUTIOUS
    assert not profile.capabilities.transactional_ddl
    assert profile.session_settings(local=True) == []


def test_emulated_snowflake_swaps_in_its_transaction() -> None:
    real, emulated = profile_for("snowflake"), profile_for("snowflake", emulated=True)
    assert (real.capabilities.swap, emulated.capabilities.swap) == ("swap_with", "transaction")
    assert emulated.capabilities.transactional_ddl
    assert not real.capabilities.transactional_ddl
    assert emulated.name == "snowflake"
    # Only engines with an emulator change.
    assert profile_for("duckdb", emulated=True) is profile_for("duckdb")


def test_profile_of_a_connection() -> None:
    engine = sa.create_engine("sqlite://")
    with engine.connect() as conn:
        assert profile_of(conn) is profile_for("sqlite")
    assert not profile_for("sqlite").capabilities.schemas


def test_materialise_flags() -> None:
    for name in ("postgresql", "snowflake", "spark"):
        assert profile_for(name).materialise == frozenset(MATERIALISABLE_STAGES), name
    # DuckDB inlines every stage but the member months, read by three statements, and the
    # facts (a window over them would otherwise compute them twice)
    assert profile_for("duckdb").materialise == frozenset({"pa_member_spans", "pa_facts"})
    assert not profile_for("sqlite").materialise
    assert not profile_for("mysql").materialise


def test_only_postgres_prints_session_settings() -> None:
    printed = {p.name: p.session_settings(local=False) for p in PROFILES}
    assert {name for name, statements in printed.items() if statements} == {"postgresql"}
    assert all(s.startswith("SET ") for s in printed["postgresql"])
    local = profile_for("postgres").session_settings(local=True)
    assert local == [s.replace("SET ", "SET LOCAL ", 1) for s in printed["postgresql"]]
