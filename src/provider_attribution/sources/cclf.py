"""The MSSP method on CMS's Claim and Claim Line Feed (CCLF) files, loaded one table per file.

:func:`prepare` reads CCLF1 (Part A headers), CCLF2 (Part A revenue-center lines), CCLF5
(Part B physician lines) and CCLF8 (beneficiary demographics) and writes three derived tables
into a work schema, inside the database:

* ``cclf_claim_lines``: the netted Part B lines of CCLF5, then the netted Part A lines of CCLF2
  on FQHC (bill type 77x), RHC (71x), Method II CAH (85x) and ETA (13x) claims; CAH and ETA
  lines only with professional revenue codes 096x/097x/098x, and never the ``0001`` total line.
  Part B: rendering NPI ``RNDRG_PRVDR_NPI_NUM``, TIN ``CLM_RNDRG_PRVDR_TAX_NUM``, allowed
  ``CLM_LINE_ALOWD_CHRG_AMT``. Part A: the provider is the claim's attending NPI (``ATNDG``,
  else ``OPRTG``, else ``OTHR``), both as rendering and attending NPI; the TIN column holds the
  facility's CCN (``PRVDR_OSCAR_NUM``) - list FQHC/RHC/CAH participants in the roster under
  their CCN; allowed is null, so attribution uses the paid amount ``CLM_LINE_CVRD_PD_AMT``.
  Dates are the line dates, else the header's.
* ``cclf_member_months``: one row per beneficiary and month of the CCLF8 enrollment range
  (``BENE_RNG_BGN_DT`` .. ``BENE_RNG_END_DT``, null: open), through the month of death.
* ``cclf_providers``: each rendering NPI of the Part B lines with its most frequent
  ``CLM_PRVDR_SPCLTY_CD`` (ties: the smallest code), a Medicare specialty classification.
* ``cclf_enrollment``: the member months with ``part_a`` / ``part_b`` from CCLF8's
  ``BENE_ENTLMT_BUYIN_IND`` (1, 3, A, C: Part A; 2, 3, B, C: Part B; a missing column or null
  value: both) and ``death_date`` from ``BENE_DEATH_DT``, for the beneficiary exclusions.

Claim lines carry ``place_of_service`` (CCLF5 ``CLM_POS_CD``) and ``bill_type`` (CCLF1 facility
type and classification digits, e.g. ``21``) for the setting exclusions; the winning CCLF1
headers of inpatient (11x) and SNF (21x, 22x, 23x, 28x) claims are added as one row each
(line number 0, header dates, no NPI, code or amount): they only mark the stays.

MBI crosswalk: when the optional CCLF9 table is there, every previous MBI (``PRVS_NUM``) is
replaced by its current MBI (``CRNT_NUM``) in every file before anything else, following chains
(A→B, B→C: A→C); see :func:`resolve_mbi_chains` for conflicts and cycles.

Netting: the versions of a claim share ``BENE_MBI_ID`` and ``CLM_CNTL_NUM`` (a null control
number: the version is a claim of its own). The latest version wins - latest ``CLM_EFCTV_DT``,
then ``CLM_IDR_LD_DT`` (null dates count as earliest), then the largest ``CUR_CLM_UNIQ_ID`` -
and only its lines are kept; when it is a cancellation (``CLM_ADJSMT_TYPE_CD`` 1) the claim is
dropped. Part A versions are netted on CCLF1 and CCLF2 lines follow their header.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from provider_attribution.engines.expressions import binary_id
from provider_attribution.model.inputs import CCLF_CLAIM_LINES as CLAIM_LINES
from provider_attribution.model.inputs import CCLF_ENROLLMENT as ENROLLMENT
from provider_attribution.model.inputs import CCLF_MEMBER_MONTHS as MEMBER_MONTHS
from provider_attribution.model.inputs import CCLF_PROVIDERS as PROVIDERS
from provider_attribution.model.inputs import (
    Inputs,
    NpiListTable,
    RosterTable,
    cclf_inputs,
)
from provider_attribution.sources import cclf_layout as lay
from provider_attribution.warehouse.staged_write import StagedWrite

__all__ = [
    "CLAIM_LINES",
    "ENROLLMENT",
    "MEMBER_MONTHS",
    "PROVIDERS",
    "CclfError",
    "CclfTables",
    "cclf_inputs",
    "prepare",
    "resolve_mbi_chains",
]

_MONTHS_WORK = "cclf_months__work"
_XWALK_WORK = "cclf_mbi_xwalk__work"
_MAX_MONTHS = 600
_ID = sa.String(64)
_CODE = sa.String(16)
_AMOUNT = sa.Numeric(18, 2)


class CclfError(ValueError):
    """A CCLF table or column is missing; the message names each one."""


@dataclass(frozen=True)
class CclfTables:
    """Where the CCLF files are loaded: one schema, one table per file."""

    schema: str | None = None
    cclf1: str = "cclf1"
    cclf2: str = "cclf2"
    cclf5: str = "cclf5"
    cclf8: str = "cclf8"
    cclf9: str | None = "cclf9"  # optional: used when the table exists

    def names(self) -> dict[str, str]:
        """File → table name, for the required files."""
        return {"cclf1": self.cclf1, "cclf2": self.cclf2, "cclf5": self.cclf5, "cclf8": self.cclf8}


# -- reflection: the source tables, with the column spelling the database uses ----------------


def _match(wanted: str, names: Iterable[str]) -> str | None:
    """``wanted`` as spelt in ``names``: exact, else the only case-insensitive match."""
    names = list(names)
    if wanted in names:
        return wanted
    folded = [n for n in names if n.lower() == wanted.lower()]
    return folded[0] if len(folded) == 1 else None


def _reflect(conn: sa.Connection, source: CclfTables) -> dict[str, sa.TableClause]:
    """Typed table clauses of the four files (and CCLF9 when it exists); CclfError naming every
    missing table/column."""
    insp = sa.inspect(conn)
    try:
        present = insp.get_table_names(schema=source.schema) + insp.get_view_names(
            schema=source.schema
        )
    except sa.exc.SQLAlchemyError as error:
        raise CclfError(f"CCLF schema {source.schema!r} cannot be read: {error}") from error
    where = f" in schema {source.schema}" if source.schema else ""
    problems: list[str] = []
    found: dict[str, sa.TableClause] = {}
    wanted_files = dict(source.names())
    if source.cclf9 is not None and _match(source.cclf9, present) is not None:
        wanted_files["cclf9"] = source.cclf9
    for file, wanted in wanted_files.items():
        name = _match(wanted, present)
        if name is None:
            problems.append(f"CCLF table {wanted}{where} ({file.upper()}) does not exist")
            continue
        columns = [c["name"] for c in insp.get_columns(name, schema=source.schema)]
        cols: list[sa.ColumnClause[Any]] = []
        for field in lay.REQUIRED[file]:
            actual = _match(field, columns)
            if actual is None:
                problems.append(f"CCLF table {wanted}{where} ({file.upper()}): missing {field}")
                continue
            cols.append(sa.column(actual, lay.LAYOUTS[file][field]))
        for field in lay.OPTIONAL.get(file, ()):
            if (actual := _match(field, columns)) is not None:
                cols.append(sa.column(actual, lay.LAYOUTS[file][field]))
        clause = sa.table(name, *cols, schema=source.schema)
        found[file] = clause
    if problems:
        raise CclfError("; ".join(problems))
    return found


def _col(table: sa.FromClause, field: str) -> sa.ColumnElement[Any]:
    """The column of packet field ``field`` (spelt as reflected)."""
    for column in table.c:
        if column.name.lower() == field.lower():
            return column
    raise KeyError(field)


def _has(table: sa.FromClause, field: str) -> bool:
    return any(column.name.lower() == field.lower() for column in table.c)


# -- MBI crosswalk ---------------------------------------------------------------------------


def resolve_mbi_chains(
    rows: Iterable[tuple[str | None, str | None, dt.date | None]],
) -> dict[str, str]:
    """Previous MBI → current MBI from CCLF9 rows ``(current, previous, effective date)``.

    A previous MBI listed with several currents keeps the row with the latest effective date
    (null: earliest), then the largest current MBI. Chains are followed to their end (A→B and
    B→C give A→C and B→C). On a cycle (A→B, B→A) every MBI of the cycle, and every MBI leading
    into it, maps to the smallest MBI of the cycle. Rows with a null or blank MBI, or with
    previous = current, are ignored.
    """
    best: dict[str, tuple[dt.date, str]] = {}
    for current, previous, effective in rows:
        crnt, prvs = (current or "").strip(), (previous or "").strip()
        if not crnt or not prvs or crnt == prvs:
            continue
        rank = (effective or dt.date.min, crnt)
        if prvs not in best or rank > best[prvs]:
            best[prvs] = rank
    step = {prvs: crnt for prvs, (_, crnt) in best.items()}
    resolved: dict[str, str] = {}
    for start in step:
        path: list[str] = []
        seen: set[str] = set()
        node = start
        while node in step and node not in resolved and node not in seen:
            seen.add(node)
            path.append(node)
            node = step[node]
        if node in resolved:
            end = resolved[node]
        elif node in seen:  # a cycle: from node around back to node
            end = min(path[path.index(node) :])
        else:
            end = node
        for mbi in path:
            resolved[mbi] = end
    return {mbi: end for mbi, end in resolved.items() if mbi != end}


def _crosswalk_table(write: StagedWrite, cclf9: sa.TableClause) -> sa.Table:
    """Read CCLF9, resolve the chains in Python and write ``previous → current`` to a work
    table."""
    conn = write.conn
    query = sa.select(
        _text(_col(cclf9, lay.CRNT_NUM)),
        _text(_col(cclf9, lay.PRVS_NUM)),
        _col(cclf9, lay.PRVS_ID_EFCTV_DT),
    )
    rows = [(c, p, _as_date(e)) for c, p, e in conn.execute(query)]
    table = sa.Table(
        _XWALK_WORK,
        sa.MetaData(),
        sa.Column("previous", _ID),
        sa.Column("current", _ID),
        schema=write.schema,
    )
    write.work_table(table)
    pairs = [{"previous": p, "current": c} for p, c in sorted(resolve_mbi_chains(rows).items())]
    if pairs:
        conn.execute(table.insert(), pairs)
    return table


def _current_mbis(file: sa.TableClause, xwalk: sa.Table, name: str) -> sa.Subquery:
    """``file`` with BENE_MBI_ID replaced by the current MBI of the crosswalk."""
    mbi = _col(file, lay.BENE_MBI_ID)
    own = binary_id(sa.cast(mbi, _ID))
    current = sa.func.coalesce(binary_id(xwalk.c.current), own).label(mbi.name)
    others = [c for c in file.c if c is not mbi]
    return (
        sa.select(*others, current)
        .select_from(file.outerjoin(xwalk, binary_id(xwalk.c.previous) == own))
        .subquery(f"{name}_current")
    )


# -- netting ---------------------------------------------------------------------------------


def _text(value: sa.ColumnElement[Any]) -> sa.ColumnElement[str]:
    """A code or id as trimmed text; blank is null (fixed-width loads leave blanks)."""
    return sa.func.nullif(sa.func.trim(sa.cast(value, _ID), type_=_ID), "", type_=_ID)


def _latest_first(table: sa.FromClause) -> list[sa.ColumnElement[Any]]:
    """Version order: latest effective date, then load date (nulls earliest), then largest
    CUR_CLM_UNIQ_ID; at a full tie a cancellation first."""
    order: list[sa.ColumnElement[Any]] = []
    for field in (lay.CLM_EFCTV_DT, lay.CLM_IDR_LD_DT):
        column = _col(table, field)
        order += [sa.case((column.is_(None), 1), else_=0), column.desc()]
    cancelled = _text(_col(table, lay.CLM_ADJSMT_TYPE_CD)) == lay.CANCELLATION
    order += [_col(table, lay.CUR_CLM_UNIQ_ID).desc(), sa.case((cancelled, 0), else_=1)]
    return order


def _winners(versions: sa.FromClause, name: str) -> sa.Subquery:
    """The winning, not cancelled version of each claim among ``versions`` (all columns)."""
    key = sa.func.coalesce(
        sa.cast(_col(versions, lay.CLM_CNTL_NUM), _ID),
        sa.literal("#") + sa.cast(_col(versions, lay.CUR_CLM_UNIQ_ID), _ID),
    )
    rank = (
        sa.func.row_number()
        .over(
            partition_by=[binary_id(_col(versions, lay.BENE_MBI_ID)), binary_id(key)],
            order_by=_latest_first(versions),
        )
        .label("version_rank")
    )
    ranked = sa.select(*versions.c, rank).subquery(f"{name}_ranked")
    adjustment = sa.func.coalesce(_text(_col(ranked, lay.CLM_ADJSMT_TYPE_CD)), "")
    return (
        sa.select(*[c for c in ranked.c if c.name != "version_rank"])
        .where(ranked.c.version_rank == 1, adjustment != lay.CANCELLATION)
        .subquery(f"{name}_winners")
    )


def _part_b(cclf5: sa.FromClause) -> sa.Select[Any]:
    """Lines of the winning CCLF5 versions."""
    version_fields = (
        lay.BENE_MBI_ID,
        lay.CLM_CNTL_NUM,
        lay.CUR_CLM_UNIQ_ID,
        lay.CLM_ADJSMT_TYPE_CD,
        lay.CLM_EFCTV_DT,
        lay.CLM_IDR_LD_DT,
    )
    versions = (
        sa.select(*[_col(cclf5, f) for f in version_fields]).distinct().subquery("b_versions")
    )
    won = _winners(versions, "b")
    c = cclf5
    return sa.select(
        sa.cast(_col(c, lay.BENE_MBI_ID), _ID).label("person_id"),
        sa.cast(_col(c, lay.CUR_CLM_UNIQ_ID), _ID).label("claim_id"),
        sa.cast(_col(c, lay.CLM_LINE_NUM), sa.Integer).label("claim_line_number"),
        _text(_col(c, lay.RNDRG_PRVDR_NPI_NUM)).label("rendering_npi"),
        _text(_col(c, lay.CLM_RNDRG_PRVDR_TAX_NUM)).label("tin"),
        _text(_col(c, lay.CLM_LINE_HCPCS_CD)).label("hcpcs_code"),
        sa.func.coalesce(_col(c, lay.CLM_LINE_FROM_DT), _col(c, lay.CLM_FROM_DT)).label(
            "claim_start_date"
        ),
        sa.func.coalesce(_col(c, lay.CLM_LINE_THRU_DT), _col(c, lay.CLM_THRU_DT)).label(
            "claim_end_date"
        ),
        sa.cast(_col(c, lay.CLM_LINE_ALOWD_CHRG_AMT), _AMOUNT).label("allowed_amount"),
        sa.cast(_col(c, lay.CLM_LINE_CVRD_PD_AMT), _AMOUNT).label("paid_amount"),
        sa.cast(sa.null(), _CODE).label("revenue_center_code"),
        sa.cast(sa.null(), _ID).label("attending_npi"),
        _text(_col(c, lay.CLM_POS_CD)).label("place_of_service"),
        sa.cast(sa.null(), _CODE).label("bill_type"),
        _text(_col(c, lay.CLM_PRVDR_SPCLTY_CD)).label("specialty_code"),
        _text(_col(c, lay.CLM_TYPE_CD)).label("claim_type"),
        sa.literal("cclf5", _CODE).label("source_file"),
    ).join_from(
        c,
        won,
        _same_claim(c, won),
    )


def _same_claim(a: sa.FromClause, b: sa.FromClause) -> sa.ColumnElement[bool]:
    """Rows of the same claim version: beneficiary and CUR_CLM_UNIQ_ID, compared bytewise."""
    return sa.and_(
        *(
            binary_id(_col(a, field)) == binary_id(_col(b, field))
            for field in (lay.CUR_CLM_UNIQ_ID, lay.BENE_MBI_ID)
        )
    )


def _bill(header: sa.FromClause, kind: tuple[str, str]) -> sa.ColumnElement[bool]:
    return sa.and_(
        _text(_col(header, lay.CLM_BILL_FAC_TYPE_CD)) == kind[0],
        _text(_col(header, lay.CLM_BILL_CLSFCTN_CD)) == kind[1],
    )


def _part_a(cclf1: sa.FromClause, cclf2: sa.FromClause) -> sa.Select[Any]:
    """CCLF2 lines of the winning CCLF1 FQHC/RHC/CAH/ETA headers."""
    head = _winners(cclf1, "a")
    line = cclf2
    revenue = _text(_col(line, lay.CLM_LINE_PROD_REV_CTR_CD))
    professional = sa.func.substr(revenue, 1, 3).in_(lay.PROFESSIONAL_REVENUE_PREFIXES)
    kept = sa.or_(
        _bill(head, lay.FQHC_BILL),
        _bill(head, lay.RHC_BILL),
        sa.and_(sa.or_(_bill(head, lay.CAH_BILL), _bill(head, lay.ETA_BILL)), professional),
    )
    npis = (lay.ATNDG_PRVDR_NPI_NUM, lay.OPRTG_PRVDR_NPI_NUM, lay.OTHR_PRVDR_NPI_NUM)
    attending = sa.func.coalesce(*[_text(_col(head, f)) for f in npis])
    return (
        sa.select(
            sa.cast(_col(line, lay.BENE_MBI_ID), _ID),
            sa.cast(_col(line, lay.CUR_CLM_UNIQ_ID), _ID),
            sa.cast(_col(line, lay.CLM_LINE_NUM), sa.Integer),
            attending,
            _text(_col(head, lay.PRVDR_OSCAR_NUM)),
            _text(_col(line, lay.CLM_LINE_HCPCS_CD)),
            sa.func.coalesce(_col(line, lay.CLM_LINE_FROM_DT), _col(head, lay.CLM_FROM_DT)),
            sa.func.coalesce(_col(line, lay.CLM_LINE_THRU_DT), _col(head, lay.CLM_THRU_DT)),
            sa.cast(sa.null(), _AMOUNT),
            sa.cast(_col(line, lay.CLM_LINE_CVRD_PD_AMT), _AMOUNT),
            revenue,
            attending,
            sa.cast(sa.null(), _CODE),
            _bill_type(head),
            sa.cast(sa.null(), _CODE),
            _text(_col(head, lay.CLM_TYPE_CD)),
            sa.literal("cclf2", _CODE),
        )
        .join_from(
            line,
            head,
            _same_claim(line, head),
        )
        .where(kept, sa.func.coalesce(revenue, "") != lay.TOTAL_REVENUE_CODE)
    )


def _bill_type(header: sa.FromClause) -> sa.ColumnElement[Any]:
    """Facility type digit and classification digit: the first two digits of the bill type."""
    fac = _text(_col(header, lay.CLM_BILL_FAC_TYPE_CD))
    cls = _text(_col(header, lay.CLM_BILL_CLSFCTN_CD))
    return sa.cast(fac + cls, _CODE)


def _stays(cclf1: sa.FromClause) -> sa.Select[Any]:
    """One row per winning inpatient or SNF header: the stay, for the setting exclusions."""
    head = _winners(cclf1, "s")
    return sa.select(
        sa.cast(_col(head, lay.BENE_MBI_ID), _ID),
        sa.cast(_col(head, lay.CUR_CLM_UNIQ_ID), _ID),
        sa.literal(0, sa.Integer),
        sa.cast(sa.null(), _ID),
        _text(_col(head, lay.PRVDR_OSCAR_NUM)),
        sa.cast(sa.null(), _CODE),
        _col(head, lay.CLM_FROM_DT),
        _col(head, lay.CLM_THRU_DT),
        sa.cast(sa.null(), _AMOUNT),
        sa.cast(sa.null(), _AMOUNT),
        sa.cast(sa.null(), _CODE),
        sa.cast(sa.null(), _ID),
        sa.cast(sa.null(), _CODE),
        _bill_type(head),
        sa.cast(sa.null(), _CODE),
        _text(_col(head, lay.CLM_TYPE_CD)),
        sa.literal("cclf1", _CODE),
    ).where(sa.or_(*(_bill(head, kind) for kind in lay.STAY_BILLS)))


def claim_lines_select(files: dict[str, sa.FromClause]) -> sa.CompoundSelect[Any]:
    """Part B lines, then Part A lines, then the stays, netted (``cclf_claim_lines``)."""
    return sa.union_all(
        _part_b(files["cclf5"]), _part_a(files["cclf1"], files["cclf2"]), _stays(files["cclf1"])
    )


# -- member months ---------------------------------------------------------------------------


def month_starts(first: dt.date, last: dt.date) -> list[dt.date]:
    """First days of every month from ``first``'s month to ``last``'s, inclusive."""
    start, end = first.year * 12 + first.month - 1, last.year * 12 + last.month - 1
    if end - start >= _MAX_MONTHS:
        raise CclfError(f"months {first}..{last}: more than {_MAX_MONTHS} months")
    return [dt.date(i // 12, i % 12 + 1, 1) for i in range(start, end + 1)]


def _as_date(value: Any) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str) and len(value) >= 10:
        return dt.date.fromisoformat(value[:10])
    return None


def _default_months(
    conn: sa.Connection, files: dict[str, sa.FromClause]
) -> tuple[dt.date, dt.date]:
    """From the earliest enrollment start to the latest closed enrollment end or claim date."""
    cclf8 = files["cclf8"]
    begin, end = _col(cclf8, lay.BENE_RNG_BGN_DT), _col(cclf8, lay.BENE_RNG_END_DT)
    first = _as_date(conn.execute(sa.select(sa.func.min(begin))).scalar())
    lasts = [conn.execute(sa.select(sa.func.max(begin))).scalar()]
    lasts.append(
        conn.execute(sa.select(sa.func.max(end)).where(end < dt.date(9000, 1, 1))).scalar()
    )
    for file in ("cclf5", "cclf1"):
        lasts.append(
            conn.execute(sa.select(sa.func.max(_col(files[file], lay.CLM_THRU_DT)))).scalar()
        )
    known = [d for d in map(_as_date, lasts) if d is not None]
    if first is None or not known:
        raise CclfError("CCLF8 has no enrollment start dates: pass months=(first, last)")
    return first, max(known)


def _months_table(write: StagedWrite, starts: Sequence[dt.date]) -> sa.Table:
    """A small work table of the months: start, end and ``YYYYMM``."""
    table = sa.Table(
        _MONTHS_WORK,
        sa.MetaData(),
        sa.Column("month_start", sa.Date),
        sa.Column("month_end", sa.Date),
        sa.Column("year_month", sa.String(6)),
        schema=write.schema,
    )
    write.work_table(table)
    rows = [
        {
            "month_start": m,
            "month_end": m.replace(day=calendar.monthrange(m.year, m.month)[1]),
            "year_month": f"{m.year:04d}{m.month:02d}",
        }
        for m in starts
    ]
    write.conn.execute(table.insert(), rows)
    return table


def member_months_select(cclf8: sa.FromClause, months: sa.Table) -> sa.Select[Any]:
    """Beneficiary × month of the enrollment range, through the death month."""
    begin, end = _col(cclf8, lay.BENE_RNG_BGN_DT), _col(cclf8, lay.BENE_RNG_END_DT)
    death = _col(cclf8, lay.BENE_DEATH_DT)
    person = binary_id(sa.cast(_col(cclf8, lay.BENE_MBI_ID), _ID))
    return (
        sa.select(person.label("person_id"), months.c.year_month)
        .distinct()
        .join_from(
            cclf8,
            months,
            sa.and_(
                sa.or_(begin.is_(None), begin <= months.c.month_end),
                sa.or_(end.is_(None), end >= months.c.month_start),
                sa.or_(death.is_(None), death >= months.c.month_start),
            ),
        )
        .where(_col(cclf8, lay.BENE_MBI_ID).is_not(None))
    )


def _buyin_part(cclf8: sa.FromClause, codes: tuple[str, ...]) -> sa.ColumnElement[Any]:
    """1 when the buy-in indicator grants the part, or is unknown (no column, null); else 0."""
    if not _has(cclf8, lay.BENE_ENTLMT_BUYIN_IND):
        return sa.literal(1, sa.Integer)
    code = sa.func.upper(_text(_col(cclf8, lay.BENE_ENTLMT_BUYIN_IND)))
    return sa.case((code.is_(None), 1), (code.in_(codes), 1), else_=0)


def enrollment_select(cclf8: sa.FromClause, months: sa.Table) -> sa.Select[Any]:
    """The member months with the Part A / Part B flags and the death date."""
    person = binary_id(sa.cast(_col(cclf8, lay.BENE_MBI_ID), _ID))
    begin, end = _col(cclf8, lay.BENE_RNG_BGN_DT), _col(cclf8, lay.BENE_RNG_END_DT)
    death = _col(cclf8, lay.BENE_DEATH_DT)
    return (
        sa.select(
            person.label("person_id"),
            months.c.year_month,
            _buyin_part(cclf8, lay.PART_A_BUYIN).label("part_a"),
            _buyin_part(cclf8, lay.PART_B_BUYIN).label("part_b"),
            death.label("death_date"),
        )
        .distinct()
        .join_from(
            cclf8,
            months,
            sa.and_(
                sa.or_(begin.is_(None), begin <= months.c.month_end),
                sa.or_(end.is_(None), end >= months.c.month_start),
                sa.or_(death.is_(None), death >= months.c.month_start),
            ),
        )
        .where(_col(cclf8, lay.BENE_MBI_ID).is_not(None))
    )


# -- providers -------------------------------------------------------------------------------


def providers_select(lines: sa.Table) -> sa.Select[Any]:
    """Each Part B rendering NPI with its most frequent specialty code (ties: smallest)."""
    npi, code = binary_id(lines.c.rendering_npi), lines.c.specialty_code
    counted = (
        sa.select(npi.label("npi"), code.label("specialty_code"), sa.func.count().label("n"))
        .where(npi.is_not(None), code.is_not(None), code != "")
        .group_by(npi, code)
        .subquery("specialty_counts")
    )
    rank = sa.func.row_number().over(
        partition_by=counted.c.npi,
        order_by=[counted.c.n.desc(), counted.c.specialty_code],
    )
    ranked = sa.select(counted.c.npi, counted.c.specialty_code, rank.label("r")).subquery("ranked")
    return sa.select(ranked.c.npi, ranked.c.specialty_code).where(ranked.c.r == 1)


# -- writing ---------------------------------------------------------------------------------


def _staged(
    write: StagedWrite, name: str, select: sa.Select[Any] | sa.CompoundSelect[Any]
) -> sa.Table:
    """Write ``select`` to ``name__staging``."""
    body = select if isinstance(select, sa.Select) else sa.select(select.subquery("u"))
    return write.select(name, body)


def _prepare_on(
    conn: sa.Connection,
    source: CclfTables,
    work_schema: str | None,
    months: tuple[dt.date, dt.date] | None,
) -> None:
    reflected = _reflect(conn, source)
    with StagedWrite(conn, work_schema) as write:
        files: dict[str, sa.FromClause] = dict(reflected)
        if "cclf9" in reflected:
            xwalk = _crosswalk_table(write, reflected["cclf9"])
            for name in ("cclf1", "cclf2", "cclf5", "cclf8"):
                files[name] = _current_mbis(reflected[name], xwalk, name)
        first, last = months or _default_months(conn, files)
        month_table = _months_table(write, month_starts(first, last))
        lines = _staged(write, CLAIM_LINES, claim_lines_select(files))
        _staged(write, MEMBER_MONTHS, member_months_select(files["cclf8"], month_table))
        _staged(write, ENROLLMENT, enrollment_select(files["cclf8"], month_table))
        _staged(write, PROVIDERS, providers_select(lines))


def prepare(
    conn_or_engine: sa.Engine | sa.Connection,
    source: CclfTables,
    *,
    work_schema: str | None,
    months: tuple[dt.date, dt.date] | None = None,
    roster: RosterTable | None = None,
    attested: NpiListTable | None = None,
) -> Inputs:
    """Write ``cclf_claim_lines``, ``cclf_member_months``, ``cclf_enrollment`` and
    ``cclf_providers`` into
    ``work_schema`` (replacing them, in one transaction where the engine has transactional DDL)
    from the CCLF tables of ``source``; the :class:`Inputs` reading them.

    ``months`` (first, last; any day of the month) bounds the member months; default: the
    earliest CCLF8 enrollment start to the latest closed enrollment end or claim thru date.
    ``roster`` and ``attested`` are passed through. Raises :class:`CclfError` naming each
    missing table and column. An Engine is used in its own transaction; a Connection is
    committed only if it was not already in one.
    """
    if isinstance(conn_or_engine, sa.Engine):
        with conn_or_engine.begin() as conn:
            _prepare_on(conn, source, work_schema, months)
    elif conn_or_engine.in_transaction():
        _prepare_on(conn_or_engine, source, work_schema, months)
    else:
        with conn_or_engine.begin():
            _prepare_on(conn_or_engine, source, work_schema, months)
    return cclf_inputs(work_schema, roster=roster, attested=attested)
