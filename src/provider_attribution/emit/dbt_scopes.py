"""The dbt model of a run's scope keys: ``pa_scope_keys``, one row per key, from dbt vars.

The model is Jinja that dbt renders at build time, so moving the as-of date or the years needs
no regeneration (``dbt build --vars '{provider_attribution_as_of_date: 2024-12-31}'``):

``provider_attribution_as_of_date``  one date, a list, or comma-separated dates (one current
                                     scope key each); ``[]``/``none``: no current scope
``provider_attribution_years``       performance years (a list, one year or comma-separated);
                                     ``[]``/``none``: no yearly scope
``provider_attribution_run_date``    later service dates are excluded

Unset, they take the defaults of ``attribute()``: the latest claim end date unless after the
run date (then the run date), every year of the eligibility input, and the current date;
the model reads the first two from the sources with ``run_query``. The method's values that
depend on a key's rule year (widest window, fallback lookback, primary-care list) are baked in
as data, piecewise by year; the date arithmetic is :mod:`~provider_attribution.model.windows`'s
ported to Jinja (``tests/test_dbt_scopes.py`` compares the two).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from importlib import resources
from typing import Any

from sqlglot import exp

from provider_attribution.model.valuesets import file_editions
from provider_attribution.model.windows import ScopeKey
from provider_attribution.sql.compile import RUN_DATE, QueryBuilder

SCOPE_KEYS = "pa_scope_keys"
VAR_AS_OF = "provider_attribution_as_of_date"
VAR_YEARS = "provider_attribution_years"
VAR_RUN_DATE = "provider_attribution_run_date"

_INT_COLUMNS = {"scope_id", "performance_year", "is_current", "elig_first", "elig_last"}
_INT_COLUMNS |= {"rule_year", "pc_slot"}
_TEXT_COLUMNS = {"scope", "key_prefix"}
_PLACEHOLDER = "__pa_v_{}__"


def scope_rules(builder: QueryBuilder) -> dict[str, Any]:
    """What the model needs of the method, as JSON-able data: the eligibility months, the
    window lengths, ``rules`` (rows [first rule year, widest window, fallback months,
    primary-care slot], ascending; a key uses the last row not after its rule year), the
    yearly anchors (month offset, explicit anchors) and the yearly fallback option."""
    method = builder.method
    breaks = {1} | {p.from_year for p in method.passes if p.from_year is not None}
    if builder.by_year:
        breaks |= set(file_editions("primary_care_hcpcs"))
    rules: list[list[int]] = []
    for year in sorted(breaks):
        key = ScopeKey.yearly(year, dt.date(year, 12, 31))
        row = [builder.key_widest(key), builder._fallback_months(key)]
        row.append(builder.primary_care_slot(key))
        if not rules or rules[-1][1:] != row:
            rules.append([year, *row])
    return {
        "eligibility_months": method.eligibility_months,
        "windows": list(builder._window_lengths()),
        "rules": rules,
        "anchor_offset": method.year_anchor_offset_months,
        "anchors": {str(y): day.isoformat() for y, day in sorted(method.year_anchors.items())},
        "yearly_fallback_eligibility": method.yearly_fallback_eligibility_window,
    }


def row_template(columns: list[str], dialect: str) -> str:
    """One scope key's SELECT in ``dialect``, each value a Jinja expression ``r.<column>``
    (already SQL literal text: a number, a quoted string or date, or NULL)."""
    projections = []
    for name in columns:
        value: exp.Expression = exp.Literal.string(_PLACEHOLDER.format(name))
        if name in _INT_COLUMNS:
            value = exp.cast(value, exp.DataType.build("int"))
        elif name not in _TEXT_COLUMNS:
            value = exp.cast(value, exp.DataType.build("date"))
        projections.append(exp.alias_(value, name))
    text = exp.select(*projections).sql(dialect=dialect)
    for name in columns:
        text, found = re.subn(
            rf"['\"]{_PLACEHOLDER.format(name)}['\"]", f"{{{{ r.{name} }}}}", text
        )
        if found != 1:
            raise RuntimeError(f"the {dialect} scope row lost its {name} value")
    return text


# the model's Jinja, with placeholders (PA_*, VAR_*) filled in by scope_keys_model
_TEMPLATE = "scope_keys.sql.jinja"


def scope_keys_model(
    builder: QueryBuilder, dialect: str, latest_sql: str, months_sql: str, header: str
) -> str:
    """The ``pa_scope_keys`` model: ``header`` (its config), then the Jinja above with the
    method's data, the default queries (dialect SQL with ``source()`` calls) and the row
    template of ``dialect``."""
    columns = [*builder.scope_columns(), RUN_DATE]
    replacements = {
        "PA_RULES": json.dumps(scope_rules(builder), sort_keys=True),
        "PA_LATEST_SQL": latest_sql.strip(),
        "PA_MONTHS_SQL": months_sql.strip(),
        "VAR_RUN_DATE": VAR_RUN_DATE,
        "VAR_AS_OF": VAR_AS_OF,
        "VAR_YEARS": VAR_YEARS,
        "'RUN_DATE'": repr(RUN_DATE),
        "PA_ROW": row_template(columns, dialect),
    }
    body = resources.files(__package__).joinpath(_TEMPLATE).read_text(encoding="utf-8")
    for placeholder, value in replacements.items():
        if placeholder not in body:
            raise RuntimeError(f"scope model template lacks {placeholder}")
        body = body.replace(placeholder, value)
    return f"{header}\n{body}"
