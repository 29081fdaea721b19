"""A provider's specialty, bucket and specialty description from the value sets' crosswalks.

Each crosswalk is either inlined from :class:`~provider_attribution.model.valuesets.ValueSets`
(``CASE`` branches, the default) or read from a table handed in (a left join), so that the
same SQL serves edited crosswalks. A table's codes are compared as the directory's are:
trimmed, upper case, a one-character specialty code padded with ``'0'``.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from provider_attribution.model.valuesets import BUCKETS, ValueSets

#: Columns of a ``specialty_source`` table: one row per specialty code.
SPECIALTY_COLUMNS = ("specialty_code", "bucket", "description")
#: Columns of a ``taxonomy_source`` table: one row per taxonomy code.
TAXONOMY_COLUMNS = ("taxonomy_code", "specialty_code")
UNKNOWN = "unknown"


def normalized_code(value: sa.ColumnElement[Any]) -> sa.ColumnElement[Any]:
    """A taxonomy or specialty code as the SQL compares it: trimmed, upper case."""
    return sa.func.upper(sa.func.trim(value))


def padded_specialty(norm: sa.ColumnElement[Any]) -> sa.ColumnElement[Any]:
    """Normalized specialty code ``norm`` with a single character padded to two (``'1'`` →
    ``'01'``)."""
    return sa.case((sa.func.length(norm) == 1, sa.literal("0", sa.String) + norm), else_=norm)


def specialty_of_taxonomy(
    rows: sa.FromClause,
    taxonomy: sa.ColumnElement[Any],
    valuesets: ValueSets,
    source: sa.FromClause | None,
) -> tuple[sa.FromClause, sa.ColumnElement[Any]]:
    """The specialty code of normalized ``taxonomy`` (a column of ``rows``), null when
    unmapped, and the clause to select it from: ``rows`` itself, or ``rows`` left-joined to
    the ``source`` crosswalk (:data:`TAXONOMY_COLUMNS`)."""
    if source is None:
        crosswalk = sorted(valuesets.taxonomy_specialty.items())
        return rows, sa.case(*((taxonomy == tax, spec) for tax, spec in crosswalk))
    listed = sa.select(
        normalized_code(source.c.taxonomy_code).label("taxonomy_code"),
        padded_specialty(normalized_code(source.c.specialty_code)).label("specialty_code"),
    ).subquery("pa_taxonomy_crosswalk")
    joined = rows.outerjoin(listed, listed.c.taxonomy_code == taxonomy)
    return joined, listed.c.specialty_code


def bucket_and_description(
    rows: sa.FromClause,
    specialty: sa.ColumnElement[Any],
    valuesets: ValueSets,
    source: sa.FromClause | None,
) -> tuple[sa.FromClause, sa.ColumnElement[Any], sa.ColumnElement[Any]]:
    """The bucket (``'unknown'`` when unmapped) and the description (null when unmapped) of
    normalized ``specialty`` (a column of ``rows``), and the clause to select them from:
    ``rows`` itself, or ``rows`` left-joined to the ``source`` crosswalk
    (:data:`SPECIALTY_COLUMNS`; a bucket other than those of
    :data:`~provider_attribution.model.valuesets.BUCKETS` counts as none, as in the value
    sets)."""
    if source is None:
        bucket = sa.case(
            *(
                (specialty.in_(sorted(codes)), b)
                for b in BUCKETS
                if (codes := valuesets.codes_for_bucket(b))
            ),
            else_=UNKNOWN,
        )
        descriptions = sorted(valuesets.specialty_description.items())
        described = sa.case(*((specialty == code, text) for code, text in descriptions))
        return rows, bucket, described
    listed = sa.select(
        padded_specialty(normalized_code(source.c.specialty_code)).label("specialty_code"),
        source.c.bucket,
        source.c.description,
    ).subquery("pa_specialty_crosswalk")
    joined = rows.outerjoin(listed, listed.c.specialty_code == specialty)
    bucket = sa.case((listed.c.bucket.in_(BUCKETS), listed.c.bucket), else_=UNKNOWN)
    return joined, bucket, listed.c.description
