"""Primary-care provider attribution, run inside your own warehouse.

The public API: describe where your tables are (:class:`Inputs`), pick a method
(:data:`TUVA` or your own :class:`Method`), and :func:`attribute` writes the outputs, or
:func:`build_queries` hands you the SQLAlchemy selects, or :func:`sql_statements` the SQL text
for any of :data:`SUPPORTED_DIALECTS`.

:func:`write_report` is imported on first use: the report stack (altair, vl-convert) stays out
of ``import provider_attribution``.
"""

from typing import TYPE_CHECKING, Any

from provider_attribution.analysis.explain import explain
from provider_attribution.emit.sqltext import SUPPORTED_DIALECTS, session_settings, sql_statements
from provider_attribution.model.inputs import (
    ClaimsTable,
    Classification,
    EligibilityTable,
    Inputs,
    ProvidersTable,
)
from provider_attribution.model.method import (
    TUVA,
    TUVA_MART,
    Fallback,
    Gate,
    Method,
    Pass,
    RankKey,
    Requirement,
    Services,
)
from provider_attribution.model.valuesets import ValueSets
from provider_attribution.model.windows import ScopeKey
from provider_attribution.sql.compile import CompiledRun
from provider_attribution.warehouse.run import RunSummary, attribute, build_queries, resolve_scope

if TYPE_CHECKING:
    from provider_attribution.analysis.report_html import write_report


def __getattr__(name: str) -> Any:
    """Import the report stack only when :func:`write_report` is asked for."""
    if name == "write_report":
        from provider_attribution.analysis.report_html import write_report

        return write_report
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "SUPPORTED_DIALECTS",
    "TUVA",
    "TUVA_MART",
    "ClaimsTable",
    "Classification",
    "CompiledRun",
    "EligibilityTable",
    "Fallback",
    "Gate",
    "Inputs",
    "Method",
    "Pass",
    "ProvidersTable",
    "RankKey",
    "Requirement",
    "RunSummary",
    "ScopeKey",
    "Services",
    "ValueSets",
    "attribute",
    "build_queries",
    "explain",
    "resolve_scope",
    "session_settings",
    "sql_statements",
    "write_report",
]
