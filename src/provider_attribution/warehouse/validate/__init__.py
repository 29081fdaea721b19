"""Preflight validation: check the inputs before any attribution query runs.

:func:`preflight` looks at every input an :class:`~provider_attribution.model.inputs.Inputs` maps
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
:func:`~provider_attribution.warehouse.run.attribute` stops on them only with ``strict=True``.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa

from provider_attribution.engines import tables as input_tables
from provider_attribution.model.inputs import Inputs
from provider_attribution.model.method import Method
from provider_attribution.model.windows import AsOf, as_of_dates
from provider_attribution.warehouse.validate.data import (
    MAX_MONTHS_AFTER_DATA,
    _claims_data,
    _eligibility_data,
    _not_empty,
    _roster_years,
    _StopError,
)
from provider_attribution.warehouse.validate.mapping import _mapped, _method_checks
from provider_attribution.warehouse.validate.results import (
    DATA_CHECKS,
    Check,
    InputError,
    Severity,
    errors,
    require_valid,
    warnings,
)
from provider_attribution.warehouse.validate.schema import _reflect_all, _structure, resolve_inputs


def preflight(
    conn: sa.Connection,
    inputs: Inputs,
    method: Method,
    *,
    as_of: AsOf = None,
    years: Sequence[int] | None = None,
) -> list[Check]:
    """Check the inputs of a run of ``method`` before attributing; see the module docstring.

    Runs the inspector and at most one cheap aggregate per table (count, min, max). Returns
    every check, passing or not; :func:`require_valid` turns the errors into an exception.
    """
    inputs = resolve_inputs(conn, inputs)
    dates = as_of_dates(as_of)
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
                _claims_data(conn, inputs, spec, usable["claims"], dates, checks)
            elif spec.field == "eligibility" and "person_id" in usable["eligibility"]:
                _eligibility_data(
                    conn, inputs, method, spec, usable["eligibility"], dates, years, checks
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


__all__ = [
    "DATA_CHECKS",
    "MAX_MONTHS_AFTER_DATA",
    "Check",
    "InputError",
    "Severity",
    "errors",
    "preflight",
    "require_valid",
    "resolve_inputs",
    "warnings",
]
