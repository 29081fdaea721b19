"""The ``table`` and ``column`` checks: tables exist, columns exist and have usable types."""

from __future__ import annotations

import contextlib
import difflib
from collections.abc import Iterable, Sequence
from dataclasses import replace
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine.reflection import ObjectKind

from provider_attribution.engines.profiles import profile_for
from provider_attribution.model.inputs import (
    TUVA_PROVIDER_LOCATIONS,
    ClaimsTable,
    Inputs,
    ProvidersTable,
)
from provider_attribution.warehouse.validate.mapping import _Column, _Input
from provider_attribution.warehouse.validate.results import Check, Severity

# -- names: exact, else case-insensitive where the engine resolves them so ----------------------


def _find_name(
    dialect: sa.Dialect, wanted: str, candidates: Iterable[str]
) -> tuple[str | None, str]:
    """The candidate the engine resolves ``wanted`` to, else None and a hint for the message."""
    names = list(candidates)
    if wanted in names:
        return wanted, ""
    folded = [n for n in names if n.lower() == wanted.lower()]
    if len(folded) == 1 and profile_for(dialect.name).resolves_other_case(
        dialect, wanted, folded[0]
    ):
        return folded[0], ""
    if folded:
        return None, (
            f" (there is {folded[0]!r}: names are case-sensitive here; map the exact spelling)"
        )
    close = difflib.get_close_matches(wanted, names, n=3, cutoff=0.6)
    if not close:
        close = difflib.get_close_matches(wanted.lower(), [n.lower() for n in names], n=3)
        close = [n for n in names if n.lower() in close]
    return None, f" (did you mean {', '.join(repr(n) for n in close)}?)" if close else ""


#: Optional columns the default mapping names (the Tuva input layer has them): a table without
#: one needs the column unmapped.
_DEFAULT_OPTIONAL = {
    ("claims", "encounter_id"): ClaimsTable().encounter_id,
    ("providers", "entity_type"): ProvidersTable().entity_type,
}


def _unmap_hint(spec: _Input, col: _Column) -> str:
    """For a missing optional column the default mapping names: how to unmap it."""
    if _DEFAULT_OPTIONAL.get((spec.field, col.field)) != col.name:
        return ""
    return (
        f"; or, if your table has no such column, unmap it: {spec.kind}({col.field}=None) "
        f'({col.field} = "" under [{spec.field}] in an inputs file)'
    )


def resolve_inputs(conn: sa.Connection, inputs: Inputs) -> Inputs:
    """The inputs a run reads: the default provider directory ``terminology.provider`` is
    replaced by Tuva 0.18's ``provider_data.provider`` when only the latter exists."""
    p = inputs.providers
    locations = TUVA_PROVIDER_LOCATIONS
    if (p.schema, p.name) != locations[0]:
        return inputs
    insp = sa.inspect(conn)
    if _exists(insp, *locations[0]):
        return inputs
    for schema, name in locations[1:]:
        if _exists(insp, schema, name):
            return replace(inputs, providers=replace(p, schema=schema, name=name))
    return inputs


def _listing(names: Sequence[str], limit: int = 25) -> str:
    shown = ", ".join(names[:limit])
    return shown + (f", ... ({len(names)} in all)" if len(names) > limit else "")


def _has_schema(insp: sa.Inspector, schema: str) -> bool:
    try:
        return bool(insp.has_schema(schema))
    except (NotImplementedError, sa.exc.SQLAlchemyError):
        return False


def _schema_names(insp: sa.Inspector, dialect: sa.Dialect, schema: str) -> list[str]:
    try:
        names = insp.get_schema_names()
    except (NotImplementedError, sa.exc.SQLAlchemyError):
        return [schema]
    listed = profile_for(dialect.name).listed_schema
    return list(dict.fromkeys(listed(n) for n in names))


def _resolve_table(
    insp: sa.Inspector, dialect: sa.Dialect, spec: _Input
) -> tuple[tuple[str | None, str] | None, str]:
    """The (schema, name) the engine finds for ``spec``, else None and what is wrong."""
    if _exists(insp, spec.schema, spec.name):
        return (spec.schema, spec.name), ""
    schema = spec.schema
    if schema is not None and not _has_schema(insp, schema):
        found_schema, hint = _find_name(dialect, schema, _schema_names(insp, dialect, schema))
        if found_schema is None:
            return None, f"schema {schema} does not exist{hint}"
        schema = found_schema
    names: list[str] = []
    for lister in (insp.get_table_names, insp.get_view_names):
        with contextlib.suppress(NotImplementedError, sa.exc.SQLAlchemyError):
            names += lister(schema=schema)
    found, hint = _find_name(dialect, spec.name, names)
    if found is not None:
        return (schema, found), ""
    where = f"schema {spec.schema}" if spec.schema else "the default schema"
    listing = _listing(sorted(names)) or "none"
    return None, f"{spec.label} does not exist{hint} (tables in {where}: {listing})"


# -- types ---------------------------------------------------------------------------------------


def _type_name(type_: Any, dialect: sa.Dialect) -> str:
    try:
        return str(type_.compile(dialect=dialect))
    except Exception:
        return type(type_).__name__.upper()


def _is_number(type_: Any) -> bool:
    return isinstance(type_, (sa.Integer, sa.Numeric))


def _is_timestamp(type_: Any) -> bool:
    # Snowflake's TIMESTAMP_NTZ/LTZ/TZ types do not derive from sa.DateTime
    name = type(type_).__name__.upper()
    return isinstance(type_, sa.DateTime) or name.startswith(("TIMESTAMP", "DATETIME"))


def _is_date(type_: Any) -> bool:
    return isinstance(type_, sa.Date) and not _is_timestamp(type_)


def _is_time(type_: Any) -> bool:
    return isinstance(type_, (sa.Date, sa.Time, sa.Interval)) or _is_timestamp(type_)


def _cast_fix(
    dialect: sa.Dialect, spec: _Input, column: str, target: sa.types.TypeEngine[Any]
) -> str:
    prep = dialect.identifier_preparer
    cast = str(
        sa.cast(sa.column(column), target).compile(
            dialect=dialect, compile_kwargs={"literal_binds": True}
        )
    )
    view_name = f"{spec.name}_typed"
    view = (
        prep.quote(view_name)
        if spec.schema is None
        else (f"{prep.quote_schema(spec.schema)}.{prep.quote(view_name)}")
    )
    source = prep.format_table(sa.table(spec.name, schema=spec.schema))
    return (
        f"cast it in a view, e.g. CREATE VIEW {view} AS SELECT {cast} AS {prep.quote(column)}, "
        f"<the other columns> FROM {source}; then map {spec.field} to that view "
        f"({spec.kind}(name={view_name!r}))"
    )


def _type_problem(
    dialect: sa.Dialect, spec: _Input, col: _Column, type_: Any
) -> tuple[Severity, str] | None:
    """What is wrong with a column's reflected type for its use, if anything."""
    if type_ is None or isinstance(type_, sa.types.NullType):
        return None
    where = f"{spec.label}.{col.name}"
    shown = _type_name(type_, dialect)
    if col.kind == "text":
        if _is_number(type_):
            return "error", (
                f"{where} is {shown}; attribution needs text ({spec.field}.{col.field} is an id "
                "or code: as a number it loses leading zeros and does not join with the text ids "
                f"of the other inputs): {_cast_fix(dialect, spec, col.name, sa.String())}"
            )
        if _is_time(type_) or isinstance(type_, sa.Boolean):
            return "error", (
                f"{where} is {shown}; attribution needs text for {spec.field}.{col.field}: "
                "is the right column mapped? Else "
                f"{_cast_fix(dialect, spec, col.name, sa.String())}"
            )
        if not isinstance(type_, sa.String):
            return "warning", (
                f"{where} is {shown}, not text; attribution compares it as text with the other "
                f"inputs' ids: {_cast_fix(dialect, spec, col.name, sa.String())} if joins fail"
            )
        return None
    if col.kind == "date":
        if _is_date(type_):
            return None
        if not profile_for(dialect.name).typed_dates:  # SQLite: dates are ISO text
            return "warning", (
                f"{where} is {shown}, not DATE; SQLite compares dates as text, so every value "
                "must be an ISO date (YYYY-MM-DD); declare the column DATE to silence this"
            )
        if _is_timestamp(type_):
            return "warning", (
                f"{where} is {shown}, not DATE; a time of day after midnight moves a row past a "
                f"window's last day: {_cast_fix(dialect, spec, col.name, sa.Date())}"
            )
        return "error", (
            f"{where} is {shown}; attribution needs a DATE: "
            f"{_cast_fix(dialect, spec, col.name, sa.Date())}"
        )
    if col.kind == "amount":
        if _is_number(type_):
            return None
        return "error", (
            f"{where} is {shown}; attribution needs a number (amounts are summed): "
            f"{_cast_fix(dialect, spec, col.name, sa.Numeric(18, 2))}"
        )
    if col.kind == "year":
        if isinstance(type_, sa.Integer) or (
            isinstance(type_, sa.Numeric) and not isinstance(type_, sa.Float)
        ):
            return None
        return "error", (
            f"{where} is {shown}; {spec.field}.{col.field} must be an integer year (e.g. 2025): "
            f"{_cast_fix(dialect, spec, col.name, sa.Integer())}"
        )
    if col.kind == "month":
        if isinstance(type_, (sa.String, sa.Integer)) or (
            isinstance(type_, sa.Numeric) and not isinstance(type_, sa.Float)
        ):
            return None
        if _is_time(type_):
            return "error", (
                f"{where} is {shown}; year_month must be YYYYMM text or an integer: map a date "
                f"column as month_start instead: EligibilityTable(year_month=None, "
                f"month_start={col.name!r}) ([eligibility] year_month and month_start in an "
                "inputs file)"
            )
        return "error", (
            f"{where} is {shown}; year_month must be YYYYMM text or an integer: "
            f"{_cast_fix(dialect, spec, col.name, sa.String())}"
        )
    return None


def _exists(insp: sa.Inspector, schema: str | None, name: str) -> bool:
    try:
        return bool(
            insp.has_table(name, schema=insp.default_schema_name if schema is None else schema)
        )
    except (NotImplementedError, sa.exc.SQLAlchemyError):
        return False


def _reflect_all(insp: sa.Inspector, specs: Sequence[_Input]) -> dict[tuple[str | None, str], Any]:
    """Columns of every input table found under its mapped name, one inspector call per schema
    (the others are looked for one by one, see :func:`_resolve_table`)."""
    found: dict[tuple[str | None, str], Any] = {}
    present = [spec for spec in specs if _exists(insp, spec.schema, spec.name)]
    for schema in dict.fromkeys(spec.schema for spec in present):
        names = list(dict.fromkeys(spec.name for spec in present if spec.schema == schema))
        try:
            found.update(
                insp.get_multi_columns(schema=schema, filter_names=names, kind=ObjectKind.ANY)
            )
        except (NotImplementedError, sa.exc.SQLAlchemyError):
            continue
    return {key: columns for key, columns in found.items() if columns}


def _first_line(error: BaseException) -> str:
    text = str(getattr(error, "orig", None) or error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def _structure(
    conn: sa.Connection,
    insp: sa.Inspector,
    spec: _Input,
    known: dict[tuple[str | None, str], Any],
    checks: list[Check],
) -> set[str] | None:
    """Table and column checks of one input: the fields whose column is usable, None when the
    table is not."""
    dialect = conn.dialect

    def severity(used: bool) -> Severity:
        return "error" if used else "warning"

    unused = "" if spec.used else " (the method does not read this input)"
    reflected = known.get((spec.schema, spec.name))
    if reflected is not None:
        resolved: tuple[str | None, str] | None = (spec.schema, spec.name)
    else:
        resolved, problem = _resolve_table(insp, dialect, spec)
    if resolved is None:
        if spec.field == "providers" and (spec.schema, spec.name) == TUVA_PROVIDER_LOCATIONS[0]:
            others = " nor ".join(f"{s}.{n}" for s, n in TUVA_PROVIDER_LOCATIONS[1:])
            problem += f"; nor does {others} (where Tuva 0.18 keeps the provider directory)"
        checks.append(
            Check(
                "table",
                spec.label,
                None,
                False,
                severity(spec.used),
                f"{problem}: create it, or map Inputs.{spec.field} to your table "
                f"({spec.kind}(schema=..., name=...), or [{spec.field}] schema/name in an "
                f"inputs file){unused}",
            )
        )
        return None
    checks.append(
        Check("table", spec.label, None, True, severity(spec.used), f"{spec.label} exists")
    )
    try:
        if reflected is None:
            reflected = insp.get_columns(resolved[1], schema=resolved[0])
    except sa.exc.SQLAlchemyError as error:
        checks.append(
            Check(
                "table",
                spec.label,
                None,
                False,
                severity(spec.used),
                f"{spec.label}: its columns cannot be read ({_first_line(error)}); check the "
                f"grants on it{unused}",
            )
        )
        return None
    reflected_name = profile_for(dialect.name).reflected_name
    by_name = {reflected_name(str(c["name"])): c for c in reflected}
    usable: set[str] = set()
    for col in spec.columns:
        actual, hint = _find_name(dialect, col.name, by_name)
        used = col.used and spec.used
        note = "" if used else " (the method does not read this column)"
        if actual is None:
            checks.append(
                Check(
                    "column",
                    spec.label,
                    col.name,
                    False,
                    severity(used),
                    f"{spec.label} has no column {col.name}{hint} (columns: "
                    f"{_listing(list(by_name))}): map Inputs.{spec.field}.{col.field} to the right "
                    f"column ({spec.kind}({col.field}=...), or {col.field} under [{spec.field}] "
                    f"in an inputs file){_unmap_hint(spec, col)}{note}",
                )
            )
            continue
        type_ = by_name[actual].get("type")
        found = _type_problem(dialect, spec, col, type_)
        shown = "type not reflected" if type_ is None else _type_name(type_, dialect)
        if found is None:
            usable.add(col.field)
            checks.append(
                Check(
                    "column",
                    spec.label,
                    col.name,
                    True,
                    severity(used),
                    f"{spec.label}.{col.name} is {shown}",
                )
            )
            continue
        level, message = found
        if level == "warning":
            usable.add(col.field)
        checks.append(
            Check(
                "column",
                spec.label,
                col.name,
                False,
                "warning" if not used else level,
                message + note,
            )
        )
    return usable
