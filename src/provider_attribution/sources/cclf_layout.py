"""Column names of the CCLF files the MSSP method reads, as the CCLF information packet spells
them (upper case), with the types the synthetic tables use.

Only the fields :mod:`provider_attribution.sources.cclf` reads (and a few the packet always carries)
are listed; a loaded table may have many more columns.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

# Claim identity and versions (CCLF1, CCLF5)
CUR_CLM_UNIQ_ID = "CUR_CLM_UNIQ_ID"
CLM_CNTL_NUM = "CLM_CNTL_NUM"
CLM_ADJSMT_TYPE_CD = "CLM_ADJSMT_TYPE_CD"
CLM_EFCTV_DT = "CLM_EFCTV_DT"
CLM_IDR_LD_DT = "CLM_IDR_LD_DT"
BENE_MBI_ID = "BENE_MBI_ID"
CLM_TYPE_CD = "CLM_TYPE_CD"
CLM_FROM_DT = "CLM_FROM_DT"
CLM_THRU_DT = "CLM_THRU_DT"

# CCLF1: Part A claim header
PRVDR_OSCAR_NUM = "PRVDR_OSCAR_NUM"
CLM_BILL_FAC_TYPE_CD = "CLM_BILL_FAC_TYPE_CD"
CLM_BILL_CLSFCTN_CD = "CLM_BILL_CLSFCTN_CD"
CLM_PMT_AMT = "CLM_PMT_AMT"
ATNDG_PRVDR_NPI_NUM = "ATNDG_PRVDR_NPI_NUM"
OPRTG_PRVDR_NPI_NUM = "OPRTG_PRVDR_NPI_NUM"
OTHR_PRVDR_NPI_NUM = "OTHR_PRVDR_NPI_NUM"

# CCLF2: Part A revenue-center lines; CCLF5: Part B physician lines
CLM_LINE_NUM = "CLM_LINE_NUM"
CLM_LINE_FROM_DT = "CLM_LINE_FROM_DT"
CLM_LINE_THRU_DT = "CLM_LINE_THRU_DT"
CLM_LINE_PROD_REV_CTR_CD = "CLM_LINE_PROD_REV_CTR_CD"
CLM_LINE_HCPCS_CD = "CLM_LINE_HCPCS_CD"
CLM_LINE_CVRD_PD_AMT = "CLM_LINE_CVRD_PD_AMT"
CLM_PRVDR_SPCLTY_CD = "CLM_PRVDR_SPCLTY_CD"
CLM_POS_CD = "CLM_POS_CD"
CLM_LINE_ALOWD_CHRG_AMT = "CLM_LINE_ALOWD_CHRG_AMT"
CLM_RNDRG_PRVDR_TAX_NUM = "CLM_RNDRG_PRVDR_TAX_NUM"
RNDRG_PRVDR_NPI_NUM = "RNDRG_PRVDR_NPI_NUM"

# CCLF8: beneficiary demographics
BENE_FIPS_STATE_CD = "BENE_FIPS_STATE_CD"
BENE_DOB = "BENE_DOB"
BENE_DEATH_DT = "BENE_DEATH_DT"
BENE_RNG_BGN_DT = "BENE_RNG_BGN_DT"
BENE_RNG_END_DT = "BENE_RNG_END_DT"
BENE_MDCR_STUS_CD = "BENE_MDCR_STUS_CD"
BENE_ENTLMT_BUYIN_IND = "BENE_ENTLMT_BUYIN_IND"

# CCLF9: beneficiary identifier (MBI) crosswalk
CRNT_NUM = "CRNT_NUM"
PRVS_NUM = "PRVS_NUM"
PRVS_ID_EFCTV_DT = "PRVS_ID_EFCTV_DT"
PRVS_ID_OBSLT_DT = "PRVS_ID_OBSLT_DT"

#: CLM_ADJSMT_TYPE_CD values: 0 original, 1 cancellation, 2 adjustment.
ORIGINAL, CANCELLATION, ADJUSTMENT = "0", "1", "2"

_TEXT = sa.String(64)
_DATE = sa.Date()
_MONEY = sa.Numeric(17, 2)
_VERSION: dict[str, Any] = {
    CLM_ADJSMT_TYPE_CD: sa.String(2),
    CLM_EFCTV_DT: _DATE,
    CLM_IDR_LD_DT: _DATE,
    CLM_CNTL_NUM: sa.String(40),
}

#: Columns of each file: name → type (the order of the packet, abridged).
CCLF1: dict[str, Any] = {
    CUR_CLM_UNIQ_ID: sa.String(13),
    PRVDR_OSCAR_NUM: sa.String(6),
    BENE_MBI_ID: sa.String(11),
    CLM_TYPE_CD: sa.String(2),
    CLM_FROM_DT: _DATE,
    CLM_THRU_DT: _DATE,
    CLM_BILL_FAC_TYPE_CD: sa.String(1),
    CLM_BILL_CLSFCTN_CD: sa.String(1),
    CLM_PMT_AMT: _MONEY,
    ATNDG_PRVDR_NPI_NUM: sa.String(10),
    OPRTG_PRVDR_NPI_NUM: sa.String(10),
    OTHR_PRVDR_NPI_NUM: sa.String(10),
    **_VERSION,
}
CCLF2: dict[str, Any] = {
    CUR_CLM_UNIQ_ID: sa.String(13),
    CLM_LINE_NUM: sa.Integer(),
    BENE_MBI_ID: sa.String(11),
    CLM_LINE_FROM_DT: _DATE,
    CLM_LINE_THRU_DT: _DATE,
    CLM_LINE_PROD_REV_CTR_CD: sa.String(4),
    CLM_LINE_HCPCS_CD: sa.String(5),
    CLM_LINE_CVRD_PD_AMT: _MONEY,
}
CCLF5: dict[str, Any] = {
    CUR_CLM_UNIQ_ID: sa.String(13),
    CLM_LINE_NUM: sa.Integer(),
    BENE_MBI_ID: sa.String(11),
    CLM_TYPE_CD: sa.String(2),
    CLM_FROM_DT: _DATE,
    CLM_THRU_DT: _DATE,
    CLM_PRVDR_SPCLTY_CD: sa.String(2),
    CLM_POS_CD: sa.String(2),
    CLM_LINE_FROM_DT: _DATE,
    CLM_LINE_THRU_DT: _DATE,
    CLM_LINE_HCPCS_CD: sa.String(5),
    CLM_LINE_CVRD_PD_AMT: _MONEY,
    CLM_RNDRG_PRVDR_TAX_NUM: sa.String(10),
    RNDRG_PRVDR_NPI_NUM: sa.String(10),
    CLM_LINE_ALOWD_CHRG_AMT: _MONEY,
    **_VERSION,
}
CCLF8: dict[str, Any] = {
    BENE_MBI_ID: sa.String(11),
    BENE_FIPS_STATE_CD: sa.String(2),
    BENE_DOB: _DATE,
    BENE_DEATH_DT: _DATE,
    BENE_RNG_BGN_DT: _DATE,
    BENE_RNG_END_DT: _DATE,
    BENE_MDCR_STUS_CD: sa.String(2),
    BENE_ENTLMT_BUYIN_IND: sa.String(1),
}
CCLF9: dict[str, Any] = {
    CRNT_NUM: sa.String(11),
    PRVS_NUM: sa.String(11),
    PRVS_ID_EFCTV_DT: _DATE,
    PRVS_ID_OBSLT_DT: _DATE,
}

#: Columns :func:`provider_attribution.sources.cclf.prepare` reads, per file (a missing one is an
#: error).
REQUIRED: dict[str, tuple[str, ...]] = {
    "cclf1": tuple(c for c in CCLF1 if c != CLM_PMT_AMT),
    "cclf2": tuple(CCLF2),
    "cclf5": tuple(CCLF5),
    "cclf8": (BENE_MBI_ID, BENE_DEATH_DT, BENE_RNG_BGN_DT, BENE_RNG_END_DT),
    "cclf9": tuple(CCLF9),
}
#: Columns read when present.
OPTIONAL: dict[str, tuple[str, ...]] = {"cclf8": (BENE_ENTLMT_BUYIN_IND,)}
LAYOUTS: dict[str, dict[str, Any]] = {
    "cclf1": CCLF1,
    "cclf2": CCLF2,
    "cclf5": CCLF5,
    "cclf8": CCLF8,
    "cclf9": CCLF9,
}

#: BENE_ENTLMT_BUYIN_IND values with Part A, with Part B (3 and C: both; A, B, C: state buy-in).
PART_A_BUYIN = ("1", "3", "A", "C")
PART_B_BUYIN = ("2", "3", "B", "C")

# Part A bill types kept (facility type digit, classification digit) and the professional
# revenue-centre prefixes that Method II CAH (85x) and ETA (13x) claims need.
FQHC_BILL = ("7", "7")
RHC_BILL = ("7", "1")
CAH_BILL = ("8", "5")
ETA_BILL = ("1", "3")
PROFESSIONAL_REVENUE_PREFIXES = ("096", "097", "098")
#: Part A headers kept as one facility row each, to mark stays for the setting exclusions:
#: inpatient hospital (11x) and skilled nursing facility (21x, 22x, 23x, 28x).
STAY_BILLS = (("1", "1"), ("2", "1"), ("2", "2"), ("2", "3"), ("2", "8"))
TOTAL_REVENUE_CODE = "0001"
