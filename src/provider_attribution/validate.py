"""Preflight validation: check the inputs before any attribution query runs.

:func:`preflight` looks at every input an :class:`~provider_attribution.inputs.Inputs` maps
(tables, columns, column types through the SQLAlchemy inspector) and at the data itself with a
few cheap aggregates (one per table), and returns one :class:`Check` per thing it looked at.
Each failed check names the table and column and says how to fix it. :func:`require_valid`
raises :class:`InputError` with every error, one per line; warnings never stop a run.

What is checked:

- ``table``: every mapped table (or view) exists; the three required inputs always, the optional
  ones (roster, attested, self_selections, geographic, enrollment) when mapped.
  The default directory ``terminology.provider`` stands for Tuva 0.18's ``provider_data.provider``
  when only that exists (:func:`resolve_inputs`); when neither does, the error names both.
- ``column``: every mapped column exists and has a type attribution can use: ids and codes
  text (numbers are an error), dates ``DATE`` (``TIMESTAMP`` is a warning; on SQLite, where
  dates are ISO text, any declared type is), amounts numeric, ``year_month`` text or integer.
  Names are compared case-insensitively where the engine resolves them so (not on PostgreSQL;
  on Snowflake up to its upper-case folding) and reported in the mapping's spelling. Types the
  driver cannot reflect (SQLite columns without a declared type) are not checked.
- ``values``: the month column reads as ``YYYYMM`` months (one grouped aggregate); a roster's
  ``performance_year`` column has no null and only four-digit years.
- ``rows``: claims and eligibility are not empty (error), providers not empty (warning), the
  optional inputs the method reads not empty (warning).
- ``as_of``: a given as-of date is not before the earliest claim service date nor more than
  24 months after the latest claim end date (error); its eligibility window has member months
  (warning).
- ``years``: every requested performance year has member months in its eligibility window
  (warning).
- ``method``: every path, unit and FQHC/RHC rule of the method has the input it needs
  (warning naming the ``Inputs`` field to set).

Problems with inputs or columns the method does not read are warnings, not errors. The
``rows``/``as_of``/``years`` errors (:data:`DATA_CHECKS`) describe data the rules handle (every
member falls back, or there is no member) but that is almost surely a mistake:
:func:`~provider_attribution.run.attribute` stops on them only with ``strict=True``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import difflib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal

import sqlalchemy as sa
from sqlalchemy.engine.reflection import ObjectKind

from provider_attribution import tables as input_tables
from provider_attribution.claim_lines import fqhc_applies
from provider_attribution.dialects import month_key as sql_month_key
from provider_attribution.dialects import text_month_key
from provider_attribution.inputs import (
    TUVA_PROVIDER_LOCATIONS,
    ClaimsTable,
    Inputs,
    ProvidersTable,
)
from provider_attribution.method import Method, Path, Unit
from provider_attribution.windows import first_of_month_back, month_key, months_later

Severity = Literal["error", "warning"]
_Kind = Literal["text", "date", "amount", "month", "year", "any"]  # any: no type check

#: How far past the latest claim an as-of date may go: the widest preset window.
MAX_MONTHS_AFTER_DATA = 24


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
    :func:`provider_attribution.run.attribute` does unless ``strict=True``).
    """
    bad = [c for c in errors(checks) if data or c.name not in DATA_CHECKS]
    if bad:
        raise InputError(bad)


# -- what the inputs map ------------------------------------------------------------------------


@dataclass(frozen=True)
class _Column:
    field: str
    name: str
    kind: _Kind
    used: bool


@dataclass(frozen=True)
class _Input:
    field: str
    kind: str
    schema: str | None
    name: str
    columns: tuple[_Column, ...]
    used: bool

    @property
    def label(self) -> str:
        return f"{self.schema}.{self.name}" if self.schema else self.name


def _mapped(inputs: Inputs, method: Method) -> list[_Input]:
    """Every mapped input with its mapped columns, and whether this method reads them."""

    def cols(used: bool, *spec: tuple[str, str | None, _Kind]) -> tuple[_Column, ...]:
        return tuple(
            _Column(field, name, kind, used) for field, name, kind in spec if name is not None
        )

    aco = method.unit is Unit.ACO
    fqhc = bool(method.fqhc_revenue_codes)
    c, e, p = inputs.claims, inputs.eligibility, inputs.providers
    found = [
        _Input(
            "claims",
            "ClaimsTable",
            c.schema,
            c.name,
            cols(True, ("person_id", c.person_id, "text"), ("claim_id", c.claim_id, "text"))
            + cols(True, ("claim_line_number", c.claim_line_number, "any"))
            + cols(
                True,
                ("encounter_id", c.encounter_id, "text"),
                ("rendering_npi", c.rendering_npi, "text"),
                ("hcpcs_code", c.hcpcs_code, "text"),
                ("claim_start_date", c.claim_start_date, "date"),
                ("claim_end_date", c.claim_end_date, "date"),
                ("allowed_amount", c.allowed_amount, "amount"),
                ("paid_amount", c.paid_amount, "amount"),
            )
            + cols(aco, ("tin", c.tin, "text"))
            + cols(
                fqhc,
                ("revenue_center_code", c.revenue_center_code, "text"),
                ("attending_npi", c.attending_npi, "text"),
            )
            + cols(
                bool(method.setting_exclusions),
                ("place_of_service", c.place_of_service, "any"),
                ("bill_type", c.bill_type, "any"),
            ),
            True,
        ),
        _Input(
            "eligibility",
            "EligibilityTable",
            e.schema,
            e.name,
            cols(
                True,
                ("person_id", e.person_id, "text"),
                ("year_month", e.year_month, "month"),
                ("month_start", e.month_start, "date"),
            ),
            True,
        ),
        _Input(
            "providers",
            "ProvidersTable",
            p.schema,
            p.name,
            cols(
                True,
                ("npi", p.npi, "text"),
                ("classification", p.classification, "text"),
                ("entity_type", p.entity_type, "any"),
                ("specialty_description", p.specialty_description, "text"),
            ),
            True,
        ),
    ]
    if (r := inputs.roster) is not None:
        columns = cols(
            aco,
            ("npi", r.npi, "text"),
            ("tin", r.tin, "text"),
            ("aco_id", r.aco_id, "text"),
        )
        if r.performance_year is not None:  # a roster by year reads no dates
            columns += cols(aco, ("performance_year", r.performance_year, "year"))
        else:
            columns += cols(
                aco, ("start_date", r.start_date, "date"), ("end_date", r.end_date, "date")
            )
        found.append(_Input("roster", "RosterTable", r.schema, r.name, columns, aco))
    if (a := inputs.attested) is not None:
        used = fqhc_applies(inputs, method)
        columns = cols(used, ("npi", a.npi, "text"))
        found.append(_Input("attested", "NpiListTable", a.schema, a.name, columns, used))
    if (n := inputs.enrollment) is not None:
        columns = cols(
            True,
            ("person_id", n.person_id, "text"),
            ("year_month", n.year_month, "month"),
            ("month_start", n.month_start, "date"),
            ("part_a", n.part_a, "any"),
            ("part_b", n.part_b, "any"),
            ("managed_care", n.managed_care, "any"),
            ("outside_us", n.outside_us, "any"),
            ("other_initiative", n.other_initiative, "any"),
            ("death_date", n.death_date, "date"),
        )
        found.append(_Input("enrollment", "EnrollmentTable", n.schema, n.name, columns, True))
    for field, path in (("self_selections", Path.SELF_SELECTION), ("geographic", Path.GEOGRAPHIC)):
        s = getattr(inputs, field)
        if s is None:
            continue
        used = path in method.paths
        columns = cols(
            used,
            ("person_id", s.person_id, "text"),
            ("npi", s.npi, "text"),
            ("effective_date", s.effective_date, "date"),
            ("end_date", s.end_date, "date"),
        )
        found.append(_Input(field, "SelectionTable", s.schema, s.name, columns, used))
    return found


# -- names: exact, else case-insensitive where the engine resolves them so ----------------------


def _case_match_ok(dialect: sa.Dialect, wanted: str, actual: str) -> bool:
    """Whether the engine finds ``actual`` when the query names ``wanted`` (same letters, other
    case). PostgreSQL folds unquoted names to lower case and SQLAlchemy quotes every name that
    is not all lower case, so there case matters; Snowflake (and Oracle) reflect upper-case
    names in lower case, and a name in any other case is quoted, so case matters beyond that
    folding; other engines (DuckDB, SQLite, MySQL, ...) compare names without case."""
    if dialect.name == "postgresql":
        return False
    if getattr(dialect, "requires_name_normalize", False):
        return str(dialect.normalize_name(wanted)) == str(dialect.normalize_name(actual))
    return True


def _find_name(
    dialect: sa.Dialect, wanted: str, candidates: Iterable[str]
) -> tuple[str | None, str]:
    """The candidate the engine resolves ``wanted`` to, else None and a hint for the message."""
    names = list(candidates)
    if wanted in names:
        return wanted, ""
    folded = [n for n in names if n.lower() == wanted.lower()]
    if len(folded) == 1 and _case_match_ok(dialect, wanted, folded[0]):
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


def _reflected_name(dialect: sa.Dialect, name: str) -> str:
    """A reflected column name as the database spells it: SQLAlchemy's MySQL reflection keeps
    the doubled backtick of a quoted name holding one (person_id``x for person_id`x)."""
    return name.replace("``", "`") if dialect.name in {"mysql", "mariadb"} else name


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
    if dialect.name == "duckdb":  # duckdb-engine lists catalog-qualified, quoted names
        names = [n.split(".", 1)[-1].strip('"') for n in names]
    return list(dict.fromkeys(names))


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
        if dialect.name == "sqlite":  # declared types bind nothing there, dates are ISO text
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
    by_name = {_reflected_name(dialect, str(c["name"])): c for c in reflected}
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


# -- data ----------------------------------------------------------------------------------------


def _first_line(error: BaseException) -> str:
    text = str(getattr(error, "orig", None) or error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def _as_date(value: Any) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value[:10])
        except ValueError:
            return None
    return None


def _month_text(key: int) -> str:
    return f"{key // 100:04d}-{key % 100:02d}"


class _StopError(Exception):
    """A data query failed: later queries would fail too on some engines (aborted
    transaction), so the data checks end there."""


def _run(
    conn: sa.Connection,
    query: sa.Select[Any],
    what: str,
    spec: _Input,
    checks: list[Check],
    fix: str = "check the column types and values of this input",
) -> list[Any]:
    try:
        return list(conn.execute(query).all())
    except sa.exc.DBAPIError as error:
        checks.append(
            Check(
                "values",
                spec.label,
                None,
                False,
                "error" if spec.used else "warning",
                f"{spec.label}: {what} failed ({_first_line(error)}): {fix}",
            )
        )
        raise _StopError from error


def _claims_data(
    conn: sa.Connection,
    inputs: Inputs,
    spec: _Input,
    usable: set[str],
    as_of: dt.date | None,
    checks: list[Check],
) -> None:
    c = inputs.claims
    src = input_tables.claims(inputs)
    dated = {"claim_start_date", "claim_end_date"} <= usable
    columns: list[sa.ColumnElement[Any]] = [sa.func.count()]
    if dated:
        start, end = src.c[c.claim_start_date], src.c[c.claim_end_date]
        columns += [
            sa.func.min(sa.func.coalesce(start, end)),
            sa.func.max(sa.func.coalesce(end, start)),
        ]
    (row,) = _run(conn, sa.select(*columns).select_from(src), "counting its rows", spec, checks)
    count = int(row[0] or 0)
    if not count:
        checks.append(
            Check(
                "rows",
                spec.label,
                None,
                False,
                "error",
                f"{spec.label} is empty: attribution needs claim lines; load them, or map "
                "Inputs.claims to the table that holds them",
            )
        )
        return
    checks.append(
        Check("rows", spec.label, None, True, "error", f"{spec.label} has {count:,} claim lines")
    )
    if not dated:
        return
    first, last = _as_date(row[1]), _as_date(row[2])
    if first is None or last is None:
        checks.append(
            Check(
                "rows",
                spec.label,
                c.claim_start_date,
                False,
                "warning",
                f"{spec.label}: no claim line has a {c.claim_start_date} or {c.claim_end_date}: "
                "no line can count, every member gets the fallback row",
            )
        )
        return
    if as_of is None:
        return
    latest_ok = months_later(last, MAX_MONTHS_AFTER_DATA)
    where = f"{spec.label}.{c.claim_start_date}/{c.claim_end_date}"
    if as_of < first:
        checks.append(
            Check(
                "as_of",
                spec.label,
                c.claim_start_date,
                False,
                "error",
                f"as-of date {as_of} is before the earliest claim service date {first} in "
                f"{where}: no claim could count; give an as-of date from {first} to {latest_ok} "
                "(or none: the latest claim end date)",
            )
        )
    elif as_of > latest_ok:
        checks.append(
            Check(
                "as_of",
                spec.label,
                c.claim_end_date,
                False,
                "error",
                f"as-of date {as_of} is more than {MAX_MONTHS_AFTER_DATA} months after the "
                f"latest claim end date {last} in {where}: every window would be empty; give an "
                f"as-of date from {first} to {latest_ok} (or none: the latest claim end date)",
            )
        )
    else:
        checks.append(
            Check(
                "as_of",
                spec.label,
                None,
                True,
                "error",
                f"as-of date {as_of} is within the claims ({first} .. {last})",
            )
        )


def _eligibility_data(
    conn: sa.Connection,
    inputs: Inputs,
    method: Method,
    spec: _Input,
    usable: set[str],
    as_of: dt.date | None,
    years: Sequence[int] | None,
    checks: list[Check],
) -> None:
    e = inputs.eligibility
    src = input_tables.eligibility(inputs)
    month_col = e.year_month if e.year_month is not None else e.month_start
    assert month_col is not None
    field = "year_month" if e.year_month is not None else "month_start"
    if field not in usable:
        (row,) = _run(
            conn, sa.select(sa.func.count()).select_from(src), "counting its rows", spec, checks
        )
        counts: dict[int, int] = {}
        total = int(row[0] or 0)
    else:
        key = (
            text_month_key(src.c[month_col])
            if e.year_month is not None
            else sql_month_key(src.c[month_col])
        ).label("month_key")
        query = sa.select(key, sa.func.count()).group_by(key)
        rows = _run(
            conn,
            query,
            f"reading {month_col} as months",
            spec,
            checks,
            "store year_month as YYYYMM text or integers (e.g. 202401), or map a date column as "
            "month_start instead"
            if e.year_month is not None
            else "store month_start as dates",
        )
        counts = {int(k): int(n) for k, n in rows if k is not None}
        total = sum(int(n) for _, n in rows)
    if not total:
        checks.append(
            Check(
                "rows",
                spec.label,
                None,
                False,
                "error",
                f"{spec.label} is empty: attribution needs member months (no member is "
                "eligible without them); load them, or map Inputs.eligibility to the table that "
                "holds them",
            )
        )
        return
    bad = sorted(k for k in counts if not (1 <= k % 100 <= 12 and 1000 <= k // 100 <= 9999))
    if bad:
        checks.append(
            Check(
                "values",
                spec.label,
                month_col,
                False,
                "error",
                f"{spec.label}.{month_col} has values that are not YYYYMM months (e.g. "
                f"{', '.join(str(k) for k in bad[:3])}): store months as YYYYMM, e.g. 202401",
            )
        )
        return
    months = sorted(counts)
    span = f" ({_month_text(months[0])} .. {_month_text(months[-1])})" if months else ""
    checks.append(
        Check(
            "rows",
            spec.label,
            None,
            True,
            "error",
            f"{spec.label} has {total:,} member months{span}",
        )
    )
    if not months:
        return

    def covered(end: dt.date) -> tuple[bool, str]:
        low = month_key(first_of_month_back(end, method.eligibility_months))
        high = month_key(end)
        window = f"{_month_text(low)} .. {_month_text(high)}"
        return any(low <= m <= high for m in months), window

    if as_of is not None:
        ok, window = covered(as_of)
        checks.append(
            Check(
                "as_of",
                spec.label,
                month_col,
                ok,
                "warning",
                f"as-of date {as_of} has member months in its eligibility window {window}"
                if ok
                else f"as-of date {as_of}: no member month in {spec.label}.{month_col} in its "
                f"eligibility window {window}: the current scope will have no members",
            )
        )
    for year in years or ():
        ok, window = covered(method.year_anchor(year))
        checks.append(
            Check(
                "years",
                spec.label,
                month_col,
                ok,
                "warning",
                f"performance year {year} has member months in its eligibility window {window}"
                if ok
                else f"performance year {year}: no member month in {spec.label}.{month_col} in "
                f"its eligibility window {window}: the yearly scope will have no members; "
                f"check the years asked for (member months span {_month_text(months[0])} .. "
                f"{_month_text(months[-1])})",
            )
        )


def _not_empty(
    conn: sa.Connection,
    spec: _Input,
    source: sa.TableClause,
    consequence: str,
    checks: list[Check],
) -> None:
    rows = _run(
        conn, sa.select(sa.literal(1)).select_from(source).limit(1), "reading a row", spec, checks
    )
    checks.append(
        Check(
            "rows",
            spec.label,
            None,
            bool(rows),
            "warning",
            f"{spec.label} has rows" if rows else f"{spec.label} is empty: {consequence}",
        )
    )


def _roster_years(
    conn: sa.Connection,
    inputs: Inputs,
    spec: _Input,
    years: Sequence[int] | None,
    checks: list[Check],
) -> None:
    """A roster by performance year: no null year, only four-digit years (errors); each
    requested performance year has rows (warning)."""
    roster = inputs.roster
    assert roster is not None
    assert roster.performance_year is not None
    column = roster.performance_year
    year = input_tables.roster(roster).c[column]
    counts = _run(
        conn,
        sa.select(year, sa.func.count()).group_by(year),
        f"reading {column} as years",
        spec,
        checks,
        f"store {column} as integer years, e.g. 2025",
    )
    by_year = {y: int(n) for y, n in counts}
    nulls = by_year.pop(None, 0)
    where = f"{spec.label}.{column}"
    if nulls:
        checks.append(
            Check(
                "values",
                spec.label,
                column,
                False,
                "error",
                f"{where} is null on {nulls:,} rows: every row of a roster by performance year "
                "needs its year; fill it, or delete those rows",
            )
        )
    bad = sorted(int(y) for y in by_year if not 1000 <= int(y) <= 9999)
    if bad:
        checks.append(
            Check(
                "values",
                spec.label,
                column,
                False,
                "error",
                f"{where} has values that are not years (e.g. "
                f"{', '.join(str(y) for y in bad[:3])}): store four-digit years, e.g. 2025",
            )
        )
    if not nulls and not bad:
        shown = ", ".join(str(int(y)) for y in sorted(by_year)) or "none"
        checks.append(
            Check("values", spec.label, column, True, "error", f"{where} has years {shown}")
        )
    listed = {int(y) for y in by_year}
    for wanted in years or ():
        if wanted not in listed:
            checks.append(
                Check(
                    "years",
                    spec.label,
                    column,
                    False,
                    "warning",
                    f"performance year {wanted} has no row in {spec.label} (its {column} "
                    f"holds {', '.join(str(y) for y in sorted(listed)) or 'no year'}): no line "
                    "belongs to an ACO in that year",
                )
            )


def _method_checks(inputs: Inputs, method: Method) -> list[Check]:
    found: list[Check] = []

    def check(ok: bool, what: str, message: str) -> None:
        found.append(Check("method", None, None, ok, "warning", what if ok else message))

    for path, field in ((Path.SELF_SELECTION, "self_selections"), (Path.GEOGRAPHIC, "geographic")):
        if path not in method.paths:
            continue
        check(
            getattr(inputs, field) is not None,
            f"path {path.value}: Inputs.{field}",
            f"method {method.name!r} has the path {path.value!r} but Inputs.{field} is not "
            f"mapped: that path is skipped; set Inputs.{field} (SelectionTable(...), or "
            f"[{field}] in an inputs file)",
        )
    if method.unit is Unit.ACO:
        check(
            inputs.roster is not None,
            "ACO units: Inputs.roster",
            f"method {method.name!r} ranks ACOs but Inputs.roster is not mapped: no line "
            "belongs to an ACO"
            + (
                ", so the participants-only gates admit no member"
                if any(g.participants_only for g in method.conditions)
                else ""
            )
            + "; set Inputs.roster (RosterTable(...), or [roster] in an inputs file)",
        )
    if method.visits_from_encounters:
        check(
            inputs.claims.encounter_id is not None,
            "visits from encounters: Inputs.claims.encounter_id",
            f"method {method.name!r} counts visits as distinct encounter_id but "
            "Inputs.claims.encounter_id is not mapped: every visit count is 0; set it",
        )
    if method.fqhc_revenue_codes:
        c = inputs.claims
        missing = [
            f"Inputs.claims.{name}"
            for name in ("revenue_center_code", "attending_npi")
            if getattr(c, name) is None
        ]
        check(
            not missing,
            "FQHC/RHC lines: claims revenue_center_code and attending_npi",
            f"method {method.name!r} treats FQHC/RHC revenue-code lines specially but "
            f"{' and '.join(missing)} {'is' if len(missing) == 1 else 'are'} not mapped: those "
            f"lines count as ordinary lines; set {' and '.join(missing)}",
        )
        if not missing:
            check(
                inputs.attested is not None,
                "FQHC/RHC lines: Inputs.attested",
                f"method {method.name!r} credits FQHC/RHC lines to attested attending NPIs but "
                "Inputs.attested is not mapped: every such line is left out; set "
                "Inputs.attested (NpiListTable(...), or [attested] in an inputs file)",
            )
    return found


def preflight(
    conn: sa.Connection,
    inputs: Inputs,
    method: Method,
    *,
    as_of: dt.date | None = None,
    years: Sequence[int] | None = None,
) -> list[Check]:
    """Check the inputs of a run of ``method`` before attributing; see the module docstring.

    Runs the inspector and at most one cheap aggregate per table (count, min, max). Returns
    every check, passing or not; :func:`require_valid` turns the errors into an exception.
    """
    inputs = resolve_inputs(conn, inputs)
    insp = sa.inspect(conn)
    checks: list[Check] = []
    usable: dict[str, set[str]] = {}
    specs = _mapped(inputs, method)
    known = _reflect_all(insp, specs)
    for spec in specs:
        columns = _structure(conn, insp, spec, known, checks)
        if columns is not None:
            usable[spec.field] = columns
    try:
        for spec in specs:
            if spec.field not in usable:
                continue
            if spec.field == "claims":
                _claims_data(conn, inputs, spec, usable["claims"], as_of, checks)
            elif spec.field == "eligibility" and "person_id" in usable["eligibility"]:
                _eligibility_data(
                    conn, inputs, method, spec, usable["eligibility"], as_of, years, checks
                )
            elif spec.field == "providers":
                _not_empty(
                    conn,
                    spec,
                    input_tables.providers(inputs),
                    "every provider's bucket is 'unknown' (only passes open to any "
                    "classification can attribute); load the provider directory",
                    checks,
                )
            elif spec.used and spec.field in {"self_selections", "geographic"}:
                selections = getattr(inputs, spec.field)
                _not_empty(
                    conn,
                    spec,
                    input_tables.selections(selections),
                    f"no member is attributed by the {spec.field} path",
                    checks,
                )
            elif spec.used and spec.field == "roster" and inputs.roster is not None:
                _not_empty(
                    conn,
                    spec,
                    input_tables.roster(inputs.roster),
                    "no line belongs to an ACO",
                    checks,
                )
                if "performance_year" in usable["roster"]:
                    _roster_years(conn, inputs, spec, years, checks)
            elif spec.used and spec.field == "attested" and inputs.attested is not None:
                _not_empty(
                    conn,
                    spec,
                    input_tables.npi_list(inputs.attested),
                    "every FQHC/RHC line is left out",
                    checks,
                )
    except _StopError:
        pass
    checks += _method_checks(inputs, method)
    return checks
