-- provider-attribution golden SQL: preset medicaid, dialect postgres,
-- as of 2025-06-30, years 2024, 2025, every optional input mapped

CREATE UNLOGGED TABLE attribution.attribution_member_spans__work AS
WITH pa_member_months AS (
  SELECT DISTINCT
    CAST(core.member_months.person_id AS TEXT) COLLATE "C" AS person_id,
    CAST(core.member_months.year_month AS INT) AS month_key
  FROM core.member_months
  WHERE
    CAST(core.member_months.person_id AS TEXT) COLLATE "C" IS NOT NULL
    AND CAST(core.member_months.year_month AS INT) BETWEEN CAST(202301 AS INT) AND CAST(202512 AS INT)
), pa_member_ranges AS (
  SELECT
    pa_member_months.person_id AS person_id,
    MIN(pa_member_months.month_key) AS first_month,
    MAX(pa_member_months.month_key) AS last_month,
    COUNT(*) AS months
  FROM pa_member_months
  GROUP BY
    pa_member_months.person_id
), pa_member_spans AS (
  SELECT
    pa_member_ranges.person_id AS person_id,
    pa_member_ranges.first_month AS first_month,
    pa_member_ranges.last_month AS last_month
  FROM pa_member_ranges
  WHERE
    (
      (
        CAST((
          pa_member_ranges.last_month - pa_member_ranges.last_month % 100
        ) / CAST(100 AS DECIMAL) AS INT) * 12 + pa_member_ranges.last_month % 100
      ) - (
        CAST((
          pa_member_ranges.first_month - pa_member_ranges.first_month % 100
        ) / CAST(100 AS DECIMAL) AS INT) * 12 + pa_member_ranges.first_month % 100
      )
    ) + 1 = pa_member_ranges.months
  UNION ALL
  SELECT
    pa_mm_runs.person_id AS person_id,
    MIN(pa_mm_runs.month_key) AS first_month,
    MAX(pa_mm_runs.month_key) AS last_month
  FROM (
    SELECT
      pa_gapped_months.person_id AS person_id,
      pa_gapped_months.month_key AS month_key,
      (
        CAST((
          pa_gapped_months.month_key - pa_gapped_months.month_key % 100
        ) / CAST(100 AS DECIMAL) AS INT) * 12 + pa_gapped_months.month_key % 100
      ) - ROW_NUMBER() OVER (PARTITION BY pa_gapped_months.person_id ORDER BY pa_gapped_months.month_key) AS run_id
    FROM (
      SELECT
        pa_member_months.person_id AS person_id,
        pa_member_months.month_key AS month_key
      FROM pa_member_months
      JOIN pa_member_ranges
        ON pa_member_ranges.person_id = pa_member_months.person_id
      WHERE
        (
          (
            CAST((
              pa_member_ranges.last_month - pa_member_ranges.last_month % 100
            ) / CAST(100 AS DECIMAL) AS INT) * 12 + pa_member_ranges.last_month % 100
          ) - (
            CAST((
              pa_member_ranges.first_month - pa_member_ranges.first_month % 100
            ) / CAST(100 AS DECIMAL) AS INT) * 12 + pa_member_ranges.first_month % 100
          )
        ) + 1 <> pa_member_ranges.months
    ) AS pa_gapped_months
  ) AS pa_mm_runs
  GROUP BY
    pa_mm_runs.person_id,
    pa_mm_runs.run_id
)
SELECT
  pa_member_spans.person_id AS person_id,
  pa_member_spans.first_month AS first_month,
  pa_member_spans.last_month AS last_month
FROM pa_member_spans;

CREATE UNLOGGED TABLE attribution.attribution_eligible__work AS
WITH pa_scopes AS (
  SELECT
    CAST(0 AS INT) AS scope_id,
    'current' AS scope,
    CAST(NULL AS INT) AS performance_year,
    CAST('2025-06-30' AS DATE) AS as_of_date,
    'current|20250630|' AS key_prefix,
    CAST('2025-06-30' AS DATE) AS anchor_end,
    CAST(1 AS INT) AS is_current,
    CAST(202407 AS INT) AS elig_first,
    CAST(202506 AS INT) AS elig_last,
    CAST(2025 AS INT) AS rule_year,
    CAST(1 AS INT) AS pc_slot,
    CAST('2023-07-01' AS DATE) AS run_start,
    CAST('2023-07-01' AS DATE) AS fallback_start,
    CAST('2024-07-01' AS DATE) AS alive_from,
    CAST('2024-07-01' AS DATE) AS start_12,
    CAST('2023-07-01' AS DATE) AS start_24
  UNION ALL
  SELECT
    CAST(1 AS INT) AS scope_id,
    'yearly' AS scope,
    CAST(2024 AS INT) AS performance_year,
    CAST(NULL AS DATE) AS as_of_date,
    'yearly|2024|' AS key_prefix,
    CAST('2024-12-31' AS DATE) AS anchor_end,
    CAST(0 AS INT) AS is_current,
    CAST(202401 AS INT) AS elig_first,
    CAST(202412 AS INT) AS elig_last,
    CAST(2024 AS INT) AS rule_year,
    CAST(1 AS INT) AS pc_slot,
    CAST('2023-01-01' AS DATE) AS run_start,
    CAST('2023-01-01' AS DATE) AS fallback_start,
    CAST('2024-01-01' AS DATE) AS alive_from,
    CAST('2024-01-01' AS DATE) AS start_12,
    CAST('2023-01-01' AS DATE) AS start_24
  UNION ALL
  SELECT
    CAST(2 AS INT) AS scope_id,
    'yearly' AS scope,
    CAST(2025 AS INT) AS performance_year,
    CAST(NULL AS DATE) AS as_of_date,
    'yearly|2025|' AS key_prefix,
    CAST('2025-12-31' AS DATE) AS anchor_end,
    CAST(0 AS INT) AS is_current,
    CAST(202501 AS INT) AS elig_first,
    CAST(202512 AS INT) AS elig_last,
    CAST(2025 AS INT) AS rule_year,
    CAST(1 AS INT) AS pc_slot,
    CAST('2024-01-01' AS DATE) AS run_start,
    CAST('2024-01-01' AS DATE) AS fallback_start,
    CAST('2025-01-01' AS DATE) AS alive_from,
    CAST('2025-01-01' AS DATE) AS start_12,
    CAST('2024-01-01' AS DATE) AS start_24
), pa_population AS (
  SELECT DISTINCT
    pa_scopes.scope_id AS scope_id,
    attribution.attribution_member_spans__work.person_id AS person_id
  FROM attribution.attribution_member_spans__work
  JOIN pa_scopes
    ON attribution.attribution_member_spans__work.first_month <= pa_scopes.elig_last
    AND attribution.attribution_member_spans__work.last_month >= pa_scopes.elig_first
), pa_deaths AS (
  SELECT
    CAST(enrollment.person_id AS TEXT) COLLATE "C" AS person_id,
    MIN(enrollment.death_date) AS death_date
  FROM enrollment
  WHERE
    CAST(enrollment.person_id AS TEXT) COLLATE "C" IS NOT NULL
    AND enrollment.death_date IS NOT NULL
  GROUP BY
    CAST(enrollment.person_id AS TEXT) COLLATE "C"
), pa_enrollment_months AS (
  SELECT
    pa_enrollment_raw.person_id AS person_id,
    pa_enrollment_raw.month_key AS month_key,
    MAX(pa_enrollment_raw.part_a) AS part_a,
    MAX(pa_enrollment_raw.part_b) AS part_b,
    MAX(pa_enrollment_raw.managed_care) AS managed_care,
    MAX(pa_enrollment_raw.outside_us) AS outside_us,
    MAX(pa_enrollment_raw.other_initiative) AS other_initiative
  FROM (
    SELECT
      CAST(enrollment.person_id AS TEXT) COLLATE "C" AS person_id,
      CAST(enrollment.year_month AS INT) AS month_key,
      CASE
        WHEN (
          LOWER(TRIM(CAST(enrollment.part_a AS VARCHAR))) IN ('1', 't', 'true', 'y', 'yes')
        )
        THEN 1
        ELSE 0
      END AS part_a,
      CASE
        WHEN (
          LOWER(TRIM(CAST(enrollment.part_b AS VARCHAR))) IN ('1', 't', 'true', 'y', 'yes')
        )
        THEN 1
        ELSE 0
      END AS part_b,
      CASE
        WHEN (
          LOWER(TRIM(CAST(enrollment.managed_care AS VARCHAR))) IN ('1', 't', 'true', 'y', 'yes')
        )
        THEN 1
        ELSE 0
      END AS managed_care,
      CASE
        WHEN (
          LOWER(TRIM(CAST(enrollment.outside_us AS VARCHAR))) IN ('1', 't', 'true', 'y', 'yes')
        )
        THEN 1
        ELSE 0
      END AS outside_us,
      CASE
        WHEN (
          LOWER(TRIM(CAST(enrollment.other_initiative AS VARCHAR))) IN ('1', 't', 'true', 'y', 'yes')
        )
        THEN 1
        ELSE 0
      END AS other_initiative
    FROM enrollment
  ) AS pa_enrollment_raw
  WHERE
    pa_enrollment_raw.person_id IS NOT NULL
    AND pa_enrollment_raw.month_key IS NOT NULL
  GROUP BY
    pa_enrollment_raw.person_id,
    pa_enrollment_raw.month_key
), pa_enrollment_flags AS (
  SELECT
    pa_scopes.scope_id AS scope_id,
    pa_enrollment_months.person_id AS person_id,
    MAX(
      CASE
        WHEN (
          pa_enrollment_months.part_a = 1 AND pa_enrollment_months.part_b = 1
        )
        THEN 1
        ELSE 0
      END
    ) AS "both",
    MAX(
      CASE
        WHEN (
          pa_enrollment_months.part_a + pa_enrollment_months.part_b = 1
        )
        THEN 1
        ELSE 0
      END
    ) AS one_part,
    MAX(pa_enrollment_months.managed_care) AS managed_care,
    MAX(pa_enrollment_months.outside_us) AS outside_us,
    MAX(pa_enrollment_months.other_initiative) AS other_initiative
  FROM pa_enrollment_months
  JOIN pa_scopes
    ON pa_enrollment_months.month_key BETWEEN pa_scopes.elig_first AND pa_scopes.elig_last
  GROUP BY
    pa_scopes.scope_id,
    pa_enrollment_months.person_id
), pa_person_reasons AS (
  SELECT
    pa_population.scope_id AS scope_id,
    pa_population.person_id AS person_id,
    CAST(CASE
      WHEN (
        pa_deaths.death_date < pa_scopes.alive_from
      )
      THEN 1
      WHEN (
        COALESCE(pa_enrollment_flags."both", 0) = 0 OR pa_enrollment_flags.one_part = 1
      )
      THEN 2
      WHEN (
        pa_enrollment_flags.managed_care = 1
      )
      THEN 3
      WHEN (
        pa_enrollment_flags.outside_us = 1
      )
      THEN 4
      WHEN (
        pa_enrollment_flags.other_initiative = 1
      )
      THEN 5
      ELSE 6
    END AS INT) AS reason_order
  FROM pa_population
  JOIN pa_scopes
    ON pa_scopes.scope_id = pa_population.scope_id
  LEFT OUTER JOIN pa_deaths
    ON pa_population.person_id = pa_deaths.person_id
  LEFT OUTER JOIN pa_enrollment_flags
    ON pa_enrollment_flags.scope_id = pa_population.scope_id
    AND pa_population.person_id = pa_enrollment_flags.person_id
)
SELECT
  pa_person_reasons.scope_id AS scope_id,
  pa_person_reasons.person_id AS person_id
FROM pa_person_reasons
WHERE
  pa_person_reasons.reason_order = 6;

CREATE UNLOGGED TABLE attribution.attribution_checked__work AS
WITH pa_claim_rows AS (
  SELECT
    CAST(core.medical_claim.person_id AS TEXT) COLLATE "C" AS person_id,
    CAST(core.medical_claim.claim_id AS TEXT) COLLATE "C" AS claim_id,
    core.medical_claim.claim_line_number AS claim_line_number,
    CAST(core.medical_claim.encounter_id AS TEXT) COLLATE "C" AS encounter_id,
    CAST(core.medical_claim.rendering_npi AS TEXT) COLLATE "C" AS rendering_npi,
    core.medical_claim.hcpcs_code AS hcpcs_code,
    core.medical_claim.claim_start_date AS claim_start_date,
    core.medical_claim.claim_end_date AS claim_end_date,
    core.medical_claim.allowed_amount AS allowed_amount,
    core.medical_claim.paid_amount AS paid_amount,
    COUNT(*) AS copies
  FROM core.medical_claim
  GROUP BY
    CAST(core.medical_claim.person_id AS TEXT) COLLATE "C",
    CAST(core.medical_claim.claim_id AS TEXT) COLLATE "C",
    core.medical_claim.claim_line_number,
    CAST(core.medical_claim.encounter_id AS TEXT) COLLATE "C",
    CAST(core.medical_claim.rendering_npi AS TEXT) COLLATE "C",
    core.medical_claim.hcpcs_code,
    core.medical_claim.claim_start_date,
    core.medical_claim.claim_end_date,
    core.medical_claim.allowed_amount,
    core.medical_claim.paid_amount
), pa_providers AS (
  SELECT
    pa_provider_spec.npi AS npi,
    CASE
      WHEN (
        pa_provider_spec.specialty IN ('01', '08', '11', '37', '38')
      )
      THEN 'pcp'
      WHEN (
        pa_provider_spec.specialty IN ('50', '89', '97')
      )
      THEN 'npp'
      WHEN (
        pa_provider_spec.specialty IN (
          '06',
          '12',
          '13',
          '16',
          '17',
          '23',
          '25',
          '26',
          '27',
          '29',
          '39',
          '44',
          '46',
          '70',
          '79',
          '82',
          '83',
          '84',
          '86',
          '90',
          '98'
        )
      )
      THEN 'specialist'
      ELSE 'unknown'
    END AS bucket,
    CAST(CASE
      WHEN (
        pa_provider_spec.specialty = '01'
      )
      THEN 'General Practice'
      WHEN (
        pa_provider_spec.specialty = '02'
      )
      THEN 'General Surgery'
      WHEN (
        pa_provider_spec.specialty = '05'
      )
      THEN 'Anesthesiology'
      WHEN (
        pa_provider_spec.specialty = '06'
      )
      THEN 'Cardiology'
      WHEN (
        pa_provider_spec.specialty = '07'
      )
      THEN 'Dermatology'
      WHEN (
        pa_provider_spec.specialty = '08'
      )
      THEN 'Family Practice'
      WHEN (
        pa_provider_spec.specialty = '10'
      )
      THEN 'Gastroenterology'
      WHEN (
        pa_provider_spec.specialty = '11'
      )
      THEN 'Internal Medicine'
      WHEN (
        pa_provider_spec.specialty = '12'
      )
      THEN 'Osteopathic Manipulative Medicine'
      WHEN (
        pa_provider_spec.specialty = '13'
      )
      THEN 'Neurology'
      WHEN (
        pa_provider_spec.specialty = '16'
      )
      THEN 'Obstetrics/Gynecology'
      WHEN (
        pa_provider_spec.specialty = '17'
      )
      THEN 'Hospice and Palliative Care'
      WHEN (
        pa_provider_spec.specialty = '18'
      )
      THEN 'Ophthalmology'
      WHEN (
        pa_provider_spec.specialty = '20'
      )
      THEN 'Orthopedic Surgery'
      WHEN (
        pa_provider_spec.specialty = '23'
      )
      THEN 'Sports Medicine'
      WHEN (
        pa_provider_spec.specialty = '25'
      )
      THEN 'Physical Medicine and Rehabilitation'
      WHEN (
        pa_provider_spec.specialty = '26'
      )
      THEN 'Psychiatry'
      WHEN (
        pa_provider_spec.specialty = '27'
      )
      THEN 'Geriatric Psychiatry'
      WHEN (
        pa_provider_spec.specialty = '29'
      )
      THEN 'Pulmonary Disease'
      WHEN (
        pa_provider_spec.specialty = '30'
      )
      THEN 'Diagnostic Radiology'
      WHEN (
        pa_provider_spec.specialty = '37'
      )
      THEN 'Pediatric Medicine'
      WHEN (
        pa_provider_spec.specialty = '38'
      )
      THEN 'Geriatric Medicine'
      WHEN (
        pa_provider_spec.specialty = '39'
      )
      THEN 'Nephrology'
      WHEN (
        pa_provider_spec.specialty = '44'
      )
      THEN 'Infectious Disease'
      WHEN (
        pa_provider_spec.specialty = '46'
      )
      THEN 'Endocrinology'
      WHEN (
        pa_provider_spec.specialty = '50'
      )
      THEN 'Nurse Practitioner'
      WHEN (
        pa_provider_spec.specialty = '69'
      )
      THEN 'Clinical Laboratory'
      WHEN (
        pa_provider_spec.specialty = '70'
      )
      THEN 'Multispecialty Clinic or Group Practice'
      WHEN (
        pa_provider_spec.specialty = '79'
      )
      THEN 'Addiction Medicine'
      WHEN (
        pa_provider_spec.specialty = '82'
      )
      THEN 'Hematology'
      WHEN (
        pa_provider_spec.specialty = '83'
      )
      THEN 'Hematology/Oncology'
      WHEN (
        pa_provider_spec.specialty = '84'
      )
      THEN 'Preventive Medicine'
      WHEN (
        pa_provider_spec.specialty = '86'
      )
      THEN 'Neuropsychiatry'
      WHEN (
        pa_provider_spec.specialty = '89'
      )
      THEN 'Certified Clinical Nurse Specialist'
      WHEN (
        pa_provider_spec.specialty = '90'
      )
      THEN 'Medical Oncology'
      WHEN (
        pa_provider_spec.specialty = '93'
      )
      THEN 'Emergency Medicine'
      WHEN (
        pa_provider_spec.specialty = '97'
      )
      THEN 'Physician Assistant'
      WHEN (
        pa_provider_spec.specialty = '98'
      )
      THEN 'Gynecological Oncology'
    END AS VARCHAR) AS prov_specialty,
    pa_provider_spec.is_org AS is_org,
    pa_provider_spec.is_individual AS is_individual
  FROM (
    SELECT
      pa_provider_dedup.npi AS npi,
      pa_provider_dedup.is_org AS is_org,
      pa_provider_dedup.is_individual AS is_individual,
      CASE
        WHEN (
          pa_provider_dedup.cls = '207L00000X'
        )
        THEN '05'
        WHEN (
          pa_provider_dedup.cls = '207N00000X'
        )
        THEN '07'
        WHEN (
          pa_provider_dedup.cls = '207P00000X'
        )
        THEN '93'
        WHEN (
          pa_provider_dedup.cls = '207Q00000X'
        )
        THEN '08'
        WHEN (
          pa_provider_dedup.cls = '207QA0505X'
        )
        THEN '08'
        WHEN (
          pa_provider_dedup.cls = '207QG0300X'
        )
        THEN '38'
        WHEN (
          pa_provider_dedup.cls = '207QS0010X'
        )
        THEN '23'
        WHEN (
          pa_provider_dedup.cls = '207R00000X'
        )
        THEN '11'
        WHEN (
          pa_provider_dedup.cls = '207RA0000X'
        )
        THEN '11'
        WHEN (
          pa_provider_dedup.cls = '207RC0000X'
        )
        THEN '06'
        WHEN (
          pa_provider_dedup.cls = '207RE0101X'
        )
        THEN '46'
        WHEN (
          pa_provider_dedup.cls = '207RG0100X'
        )
        THEN '10'
        WHEN (
          pa_provider_dedup.cls = '207RG0300X'
        )
        THEN '38'
        WHEN (
          pa_provider_dedup.cls = '207RH0000X'
        )
        THEN '82'
        WHEN (
          pa_provider_dedup.cls = '207RH0003X'
        )
        THEN '83'
        WHEN (
          pa_provider_dedup.cls = '207RI0200X'
        )
        THEN '44'
        WHEN (
          pa_provider_dedup.cls = '207RN0300X'
        )
        THEN '39'
        WHEN (
          pa_provider_dedup.cls = '207RP1001X'
        )
        THEN '29'
        WHEN (
          pa_provider_dedup.cls = '207RX0202X'
        )
        THEN '90'
        WHEN (
          pa_provider_dedup.cls = '207V00000X'
        )
        THEN '16'
        WHEN (
          pa_provider_dedup.cls = '207VG0400X'
        )
        THEN '16'
        WHEN (
          pa_provider_dedup.cls = '207VX0201X'
        )
        THEN '98'
        WHEN (
          pa_provider_dedup.cls = '207W00000X'
        )
        THEN '18'
        WHEN (
          pa_provider_dedup.cls = '207X00000X'
        )
        THEN '20'
        WHEN (
          pa_provider_dedup.cls = '208000000X'
        )
        THEN '37'
        WHEN (
          pa_provider_dedup.cls = '208100000X'
        )
        THEN '25'
        WHEN (
          pa_provider_dedup.cls = '2083P0500X'
        )
        THEN '84'
        WHEN (
          pa_provider_dedup.cls = '2084A0401X'
        )
        THEN '79'
        WHEN (
          pa_provider_dedup.cls = '2084N0400X'
        )
        THEN '13'
        WHEN (
          pa_provider_dedup.cls = '2084P0800X'
        )
        THEN '26'
        WHEN (
          pa_provider_dedup.cls = '2084P0805X'
        )
        THEN '27'
        WHEN (
          pa_provider_dedup.cls = '2085R0202X'
        )
        THEN '30'
        WHEN (
          pa_provider_dedup.cls = '208600000X'
        )
        THEN '02'
        WHEN (
          pa_provider_dedup.cls = '208D00000X'
        )
        THEN '01'
        WHEN (
          pa_provider_dedup.cls = '291U00000X'
        )
        THEN '69'
        WHEN (
          pa_provider_dedup.cls = '363A00000X'
        )
        THEN '97'
        WHEN (
          pa_provider_dedup.cls = '363AM0700X'
        )
        THEN '97'
        WHEN (
          pa_provider_dedup.cls = '363L00000X'
        )
        THEN '50'
        WHEN (
          pa_provider_dedup.cls = '363LA2200X'
        )
        THEN '50'
        WHEN (
          pa_provider_dedup.cls = '363LF0000X'
        )
        THEN '50'
        WHEN (
          pa_provider_dedup.cls = '363LP2300X'
        )
        THEN '50'
        WHEN (
          pa_provider_dedup.cls = '364S00000X'
        )
        THEN '89'
      END AS specialty
    FROM (
      SELECT
        CAST(terminology.provider.npi AS TEXT) COLLATE "C" AS npi,
        MIN(UPPER(TRIM(terminology.provider.primary_taxonomy_code))) AS cls,
        MAX(
          CASE
            WHEN (
              LOWER(TRIM(CAST(terminology.provider.entity_type_description AS VARCHAR))) IN ('2', 'organization')
            )
            THEN 1
            ELSE 0
          END
        ) AS is_org,
        MAX(
          CASE
            WHEN (
              LOWER(TRIM(CAST(terminology.provider.entity_type_description AS VARCHAR))) IN ('1', 'individual')
            )
            THEN 1
            ELSE 0
          END
        ) AS is_individual
      FROM terminology.provider
      WHERE
        CAST(terminology.provider.npi AS TEXT) COLLATE "C" IS NOT NULL
      GROUP BY
        CAST(terminology.provider.npi AS TEXT) COLLATE "C"
    ) AS pa_provider_dedup
  ) AS pa_provider_spec
)
SELECT
  pa_line_parts.person_id AS person_id,
  pa_line_parts.npi AS npi,
  pa_line_parts.service_date AS service_date,
  pa_line_parts.end_date AS end_date,
  pa_line_parts.amount_cents AS amount_cents,
  pa_line_parts.visit_key AS visit_key,
  pa_line_parts.primary_care AS primary_care,
  pa_line_parts.bucket AS bucket,
  pa_line_parts.in_directory AS in_directory,
  pa_line_parts.tin AS tin,
  pa_line_parts.copies AS copies,
  CAST(CASE
    WHEN (
      pa_line_parts.person_id IS NULL
    )
    THEN 2
    WHEN (
      pa_line_parts.service_date IS NULL
    )
    THEN 3
    WHEN (
      pa_line_parts.service_date > CAST('2025-07-01' AS DATE)
    )
    THEN 4
    WHEN (
      pa_line_parts.fqhc_ok = 0
    )
    THEN 5
    WHEN (
      pa_line_parts.npi IS NULL
    )
    THEN 6
    WHEN (
      pa_line_parts.npi_ok = 0
    )
    THEN 7
    WHEN (
      pa_line_parts.is_org = 1
    )
    THEN 8
    WHEN (
      pa_line_parts.is_reversed = 1
    )
    THEN 9
    ELSE 0
  END AS INT) AS check_status,
  CAST(CASE
    WHEN (
      attribution.attribution_member_spans__work.person_id IS NOT NULL
    )
    THEN 1
    ELSE 0
  END AS INT) AS has_month
FROM (
  SELECT
    pa_claim_rows.person_id AS person_id,
    pa_claim_rows.rendering_npi AS npi,
    COALESCE(pa_claim_rows.claim_start_date, pa_claim_rows.claim_end_date) AS service_date,
    COALESCE(pa_claim_rows.claim_end_date, pa_claim_rows.claim_start_date) AS end_date,
    CAST(ROUND(
      CASE
        WHEN (
          pa_claim_rows.allowed_amount IS NOT NULL AND pa_claim_rows.allowed_amount <> 0
        )
        THEN pa_claim_rows.allowed_amount
        ELSE COALESCE(pa_claim_rows.paid_amount, 0)
      END * CAST(100 AS DECIMAL(38, 0))
    ) AS BIGINT) AS amount_cents,
    COALESCE(pa_claim_rows.encounter_id, pa_claim_rows.claim_id) AS visit_key,
    CAST(CASE
      WHEN (
        0 = 1
      )
      THEN '1'
      WHEN (
        UPPER(TRIM(pa_claim_rows.hcpcs_code)) IN (
          '96160',
          '96161',
          '99201',
          '99202',
          '99203',
          '99204',
          '99205',
          '99211',
          '99212',
          '99213',
          '99214',
          '99215',
          '99304',
          '99305',
          '99306',
          '99307',
          '99308',
          '99309',
          '99310',
          '99315',
          '99316',
          '99318',
          '99324',
          '99325',
          '99326',
          '99327',
          '99328',
          '99334',
          '99335',
          '99336',
          '99337',
          '99339',
          '99340',
          '99341',
          '99342',
          '99343',
          '99344',
          '99345',
          '99347',
          '99348',
          '99349',
          '99350',
          '99406',
          '99407',
          '99421',
          '99422',
          '99423',
          '99424',
          '99425',
          '99426',
          '99427',
          '99439',
          '99484',
          '99487',
          '99489',
          '99490',
          '99491',
          '99492',
          '99493',
          '99494',
          '99495',
          '99496',
          '99497',
          '99498',
          'G0136',
          'G0402',
          'G0438',
          'G0439',
          'G0442',
          'G0443',
          'G0444',
          'G0506',
          'G2010',
          'G2012',
          'G2211'
        )
      )
      THEN '1'
      ELSE '0'
    END AS VARCHAR) AS primary_care,
    CASE WHEN (
      0 = 1
    ) THEN 'pcp' ELSE COALESCE(pa_providers.bucket, 'unknown') END AS bucket,
    CASE
      WHEN (
        pa_providers.npi IS NOT NULL AND pa_providers.is_individual = 1
      )
      THEN 1
      ELSE 0
    END AS in_directory,
    CAST(NULL AS VARCHAR) AS tin,
    pa_claim_rows.copies AS copies,
    CASE WHEN (
      0 = 0
    ) THEN 1 ELSE 0 END AS fqhc_ok,
    COALESCE(pa_npi_checks.npi_ok, 0) AS npi_ok,
    COALESCE(pa_providers.is_org, 0) AS is_org,
    CASE
      WHEN (
        pa_claim_rows.claim_id IS NULL
      )
      THEN CASE
        WHEN (
          CAST(ROUND(
            CASE
              WHEN (
                pa_claim_rows.allowed_amount IS NOT NULL AND pa_claim_rows.allowed_amount <> 0
              )
              THEN pa_claim_rows.allowed_amount
              ELSE COALESCE(pa_claim_rows.paid_amount, 0)
            END * CAST(100 AS DECIMAL(38, 0))
          ) AS BIGINT) < 0
        )
        THEN 1
        ELSE 0
      END
      WHEN (
        pa_reversed_claims.claim_id IS NOT NULL
      )
      THEN 1
      ELSE 0
    END AS is_reversed
  FROM pa_claim_rows
  LEFT OUTER JOIN pa_providers
    ON pa_providers.npi = pa_claim_rows.rendering_npi
  LEFT OUTER JOIN (
    SELECT
      pa_negative_claim_rows.person_id AS person_id,
      pa_negative_claim_rows.claim_id AS claim_id
    FROM (
      SELECT
        CAST(core.medical_claim.person_id AS TEXT) COLLATE "C" AS person_id,
        CAST(core.medical_claim.claim_id AS TEXT) COLLATE "C" AS claim_id,
        core.medical_claim.claim_line_number AS claim_line_number,
        CAST(core.medical_claim.encounter_id AS TEXT) COLLATE "C" AS encounter_id,
        CAST(core.medical_claim.rendering_npi AS TEXT) COLLATE "C" AS rendering_npi,
        core.medical_claim.hcpcs_code AS hcpcs_code,
        core.medical_claim.claim_start_date AS claim_start_date,
        core.medical_claim.claim_end_date AS claim_end_date,
        core.medical_claim.allowed_amount AS allowed_amount,
        core.medical_claim.paid_amount AS paid_amount,
        COUNT(*) AS copies
      FROM core.medical_claim
      JOIN (
        SELECT DISTINCT
          CAST(core.medical_claim.person_id AS TEXT) COLLATE "C" AS person_id,
          CAST(core.medical_claim.claim_id AS TEXT) COLLATE "C" AS claim_id
        FROM core.medical_claim
        WHERE
          CAST(core.medical_claim.claim_id AS TEXT) COLLATE "C" IS NOT NULL
          AND CAST(ROUND(
            CASE
              WHEN (
                core.medical_claim.allowed_amount IS NOT NULL
                AND core.medical_claim.allowed_amount <> 0
              )
              THEN core.medical_claim.allowed_amount
              ELSE COALESCE(core.medical_claim.paid_amount, 0)
            END * CAST(100 AS DECIMAL(38, 0))
          ) AS BIGINT) < 0
      ) AS pa_negative_claims
        ON pa_negative_claims.person_id = CAST(core.medical_claim.person_id AS TEXT) COLLATE "C"
        AND pa_negative_claims.claim_id = CAST(core.medical_claim.claim_id AS TEXT) COLLATE "C"
      GROUP BY
        CAST(core.medical_claim.person_id AS TEXT) COLLATE "C",
        CAST(core.medical_claim.claim_id AS TEXT) COLLATE "C",
        core.medical_claim.claim_line_number,
        CAST(core.medical_claim.encounter_id AS TEXT) COLLATE "C",
        CAST(core.medical_claim.rendering_npi AS TEXT) COLLATE "C",
        core.medical_claim.hcpcs_code,
        core.medical_claim.claim_start_date,
        core.medical_claim.claim_end_date,
        core.medical_claim.allowed_amount,
        core.medical_claim.paid_amount
    ) AS pa_negative_claim_rows
    GROUP BY
      pa_negative_claim_rows.person_id,
      pa_negative_claim_rows.claim_id
    HAVING
      SUM(
        CAST(ROUND(
          CASE
            WHEN (
              pa_negative_claim_rows.allowed_amount IS NOT NULL
              AND pa_negative_claim_rows.allowed_amount <> 0
            )
            THEN pa_negative_claim_rows.allowed_amount
            ELSE COALESCE(pa_negative_claim_rows.paid_amount, 0)
          END * CAST(100 AS DECIMAL(38, 0))
        ) AS BIGINT)
      ) <= 0
  ) AS pa_reversed_claims
    ON pa_reversed_claims.person_id = pa_claim_rows.person_id
    AND pa_reversed_claims.claim_id = pa_claim_rows.claim_id
  LEFT OUTER JOIN (
    SELECT
      pa_npis.npi AS npi,
      CASE
        WHEN (
          LENGTH(pa_npis.npi) = 10
          AND (
            24 + CASE SUBSTRING(pa_npis.npi FROM 1 FOR 1)
              WHEN '0'
              THEN 0
              WHEN '1'
              THEN 2
              WHEN '2'
              THEN 4
              WHEN '3'
              THEN 6
              WHEN '4'
              THEN 8
              WHEN '5'
              THEN 1
              WHEN '6'
              THEN 3
              WHEN '7'
              THEN 5
              WHEN '8'
              THEN 7
              WHEN '9'
              THEN 9
              ELSE NULL
            END + CASE SUBSTRING(pa_npis.npi FROM 2 FOR 1)
              WHEN '0'
              THEN 0
              WHEN '1'
              THEN 1
              WHEN '2'
              THEN 2
              WHEN '3'
              THEN 3
              WHEN '4'
              THEN 4
              WHEN '5'
              THEN 5
              WHEN '6'
              THEN 6
              WHEN '7'
              THEN 7
              WHEN '8'
              THEN 8
              WHEN '9'
              THEN 9
              ELSE NULL
            END + CASE SUBSTRING(pa_npis.npi FROM 3 FOR 1)
              WHEN '0'
              THEN 0
              WHEN '1'
              THEN 2
              WHEN '2'
              THEN 4
              WHEN '3'
              THEN 6
              WHEN '4'
              THEN 8
              WHEN '5'
              THEN 1
              WHEN '6'
              THEN 3
              WHEN '7'
              THEN 5
              WHEN '8'
              THEN 7
              WHEN '9'
              THEN 9
              ELSE NULL
            END + CASE SUBSTRING(pa_npis.npi FROM 4 FOR 1)
              WHEN '0'
              THEN 0
              WHEN '1'
              THEN 1
              WHEN '2'
              THEN 2
              WHEN '3'
              THEN 3
              WHEN '4'
              THEN 4
              WHEN '5'
              THEN 5
              WHEN '6'
              THEN 6
              WHEN '7'
              THEN 7
              WHEN '8'
              THEN 8
              WHEN '9'
              THEN 9
              ELSE NULL
            END + CASE SUBSTRING(pa_npis.npi FROM 5 FOR 1)
              WHEN '0'
              THEN 0
              WHEN '1'
              THEN 2
              WHEN '2'
              THEN 4
              WHEN '3'
              THEN 6
              WHEN '4'
              THEN 8
              WHEN '5'
              THEN 1
              WHEN '6'
              THEN 3
              WHEN '7'
              THEN 5
              WHEN '8'
              THEN 7
              WHEN '9'
              THEN 9
              ELSE NULL
            END + CASE SUBSTRING(pa_npis.npi FROM 6 FOR 1)
              WHEN '0'
              THEN 0
              WHEN '1'
              THEN 1
              WHEN '2'
              THEN 2
              WHEN '3'
              THEN 3
              WHEN '4'
              THEN 4
              WHEN '5'
              THEN 5
              WHEN '6'
              THEN 6
              WHEN '7'
              THEN 7
              WHEN '8'
              THEN 8
              WHEN '9'
              THEN 9
              ELSE NULL
            END + CASE SUBSTRING(pa_npis.npi FROM 7 FOR 1)
              WHEN '0'
              THEN 0
              WHEN '1'
              THEN 2
              WHEN '2'
              THEN 4
              WHEN '3'
              THEN 6
              WHEN '4'
              THEN 8
              WHEN '5'
              THEN 1
              WHEN '6'
              THEN 3
              WHEN '7'
              THEN 5
              WHEN '8'
              THEN 7
              WHEN '9'
              THEN 9
              ELSE NULL
            END + CASE SUBSTRING(pa_npis.npi FROM 8 FOR 1)
              WHEN '0'
              THEN 0
              WHEN '1'
              THEN 1
              WHEN '2'
              THEN 2
              WHEN '3'
              THEN 3
              WHEN '4'
              THEN 4
              WHEN '5'
              THEN 5
              WHEN '6'
              THEN 6
              WHEN '7'
              THEN 7
              WHEN '8'
              THEN 8
              WHEN '9'
              THEN 9
              ELSE NULL
            END + CASE SUBSTRING(pa_npis.npi FROM 9 FOR 1)
              WHEN '0'
              THEN 0
              WHEN '1'
              THEN 2
              WHEN '2'
              THEN 4
              WHEN '3'
              THEN 6
              WHEN '4'
              THEN 8
              WHEN '5'
              THEN 1
              WHEN '6'
              THEN 3
              WHEN '7'
              THEN 5
              WHEN '8'
              THEN 7
              WHEN '9'
              THEN 9
              ELSE NULL
            END + CASE SUBSTRING(pa_npis.npi FROM 10 FOR 1)
              WHEN '0'
              THEN 0
              WHEN '1'
              THEN 1
              WHEN '2'
              THEN 2
              WHEN '3'
              THEN 3
              WHEN '4'
              THEN 4
              WHEN '5'
              THEN 5
              WHEN '6'
              THEN 6
              WHEN '7'
              THEN 7
              WHEN '8'
              THEN 8
              WHEN '9'
              THEN 9
              ELSE NULL
            END
          ) % 10 = 0
        )
        THEN 1
        ELSE 0
      END AS npi_ok
    FROM (
      SELECT DISTINCT
        pa_claim_rows.rendering_npi AS npi
      FROM pa_claim_rows
    ) AS pa_npis
    WHERE
      pa_npis.npi IS NOT NULL
  ) AS pa_npi_checks
    ON pa_npi_checks.npi = pa_claim_rows.rendering_npi
) AS pa_line_parts
LEFT OUTER JOIN attribution.attribution_member_spans__work
  ON attribution.attribution_member_spans__work.person_id = pa_line_parts.person_id
  AND CAST(EXTRACT(YEAR FROM pa_line_parts.service_date) * 100 + EXTRACT(MONTH FROM pa_line_parts.service_date) AS INT) BETWEEN attribution.attribution_member_spans__work.first_month AND attribution.attribution_member_spans__work.last_month;

CREATE UNLOGGED TABLE attribution.attribution_facts__work AS
SELECT
  pa_fact_rows.person_id AS person_id,
  pa_fact_rows.npi AS npi,
  pa_fact_rows.visit_key AS visit_key,
  pa_fact_rows.service_date AS service_date,
  pa_fact_rows.end_date AS end_date,
  pa_fact_rows.bucket AS bucket,
  pa_fact_rows.in_directory AS in_directory,
  pa_fact_rows.amount_cents AS amount_cents,
  pa_fact_rows.pc_1 AS pc_1,
  pa_fact_rows.pc_cents_1 AS pc_cents_1,
  COUNT(*) OVER (PARTITION BY pa_fact_rows.person_id, pa_fact_rows.npi, pa_fact_rows.visit_key) AS visit_rows
FROM (
  SELECT
    pa_taken_lines.person_id AS person_id,
    pa_taken_lines.npi AS npi,
    pa_taken_lines.visit_key AS visit_key,
    pa_taken_lines.service_date AS service_date,
    pa_taken_lines.end_date AS end_date,
    pa_taken_lines.bucket AS bucket,
    MAX(pa_taken_lines.in_directory) AS in_directory,
    SUM(pa_taken_lines.amount_cents) AS amount_cents,
    MAX(CASE WHEN (
      pa_taken_lines.primary_care = '1'
    ) THEN 1 ELSE 0 END) AS pc_1,
    SUM(
      CASE
        WHEN (
          pa_taken_lines.primary_care = '1'
        )
        THEN pa_taken_lines.amount_cents
      END
    ) AS pc_cents_1
  FROM (
    SELECT
      attribution.attribution_checked__work.person_id AS person_id,
      attribution.attribution_checked__work.npi AS npi,
      attribution.attribution_checked__work.service_date AS service_date,
      attribution.attribution_checked__work.end_date AS end_date,
      attribution.attribution_checked__work.amount_cents AS amount_cents,
      attribution.attribution_checked__work.visit_key AS visit_key,
      attribution.attribution_checked__work.primary_care AS primary_care,
      attribution.attribution_checked__work.bucket AS bucket,
      attribution.attribution_checked__work.in_directory AS in_directory
    FROM attribution.attribution_checked__work
    WHERE
      attribution.attribution_checked__work.check_status = 0
      AND attribution.attribution_checked__work.has_month = 1
      AND attribution.attribution_checked__work.service_date BETWEEN CAST('2023-01-01' AS DATE) AND CAST('2025-12-31' AS DATE)
  ) AS pa_taken_lines
  GROUP BY
    pa_taken_lines.person_id,
    pa_taken_lines.npi,
    pa_taken_lines.visit_key,
    pa_taken_lines.service_date,
    pa_taken_lines.end_date,
    pa_taken_lines.bucket
) AS pa_fact_rows;

CREATE UNLOGGED TABLE attribution.attribution_metrics__work AS
WITH pa_scopes AS (
  SELECT
    CAST(0 AS INT) AS scope_id,
    'current' AS scope,
    CAST(NULL AS INT) AS performance_year,
    CAST('2025-06-30' AS DATE) AS as_of_date,
    'current|20250630|' AS key_prefix,
    CAST('2025-06-30' AS DATE) AS anchor_end,
    CAST(1 AS INT) AS is_current,
    CAST(202407 AS INT) AS elig_first,
    CAST(202506 AS INT) AS elig_last,
    CAST(2025 AS INT) AS rule_year,
    CAST(1 AS INT) AS pc_slot,
    CAST('2023-07-01' AS DATE) AS run_start,
    CAST('2023-07-01' AS DATE) AS fallback_start,
    CAST('2024-07-01' AS DATE) AS alive_from,
    CAST('2024-07-01' AS DATE) AS start_12,
    CAST('2023-07-01' AS DATE) AS start_24
  UNION ALL
  SELECT
    CAST(1 AS INT) AS scope_id,
    'yearly' AS scope,
    CAST(2024 AS INT) AS performance_year,
    CAST(NULL AS DATE) AS as_of_date,
    'yearly|2024|' AS key_prefix,
    CAST('2024-12-31' AS DATE) AS anchor_end,
    CAST(0 AS INT) AS is_current,
    CAST(202401 AS INT) AS elig_first,
    CAST(202412 AS INT) AS elig_last,
    CAST(2024 AS INT) AS rule_year,
    CAST(1 AS INT) AS pc_slot,
    CAST('2023-01-01' AS DATE) AS run_start,
    CAST('2023-01-01' AS DATE) AS fallback_start,
    CAST('2024-01-01' AS DATE) AS alive_from,
    CAST('2024-01-01' AS DATE) AS start_12,
    CAST('2023-01-01' AS DATE) AS start_24
  UNION ALL
  SELECT
    CAST(2 AS INT) AS scope_id,
    'yearly' AS scope,
    CAST(2025 AS INT) AS performance_year,
    CAST(NULL AS DATE) AS as_of_date,
    'yearly|2025|' AS key_prefix,
    CAST('2025-12-31' AS DATE) AS anchor_end,
    CAST(0 AS INT) AS is_current,
    CAST(202501 AS INT) AS elig_first,
    CAST(202512 AS INT) AS elig_last,
    CAST(2025 AS INT) AS rule_year,
    CAST(1 AS INT) AS pc_slot,
    CAST('2024-01-01' AS DATE) AS run_start,
    CAST('2024-01-01' AS DATE) AS fallback_start,
    CAST('2025-01-01' AS DATE) AS alive_from,
    CAST('2025-01-01' AS DATE) AS start_12,
    CAST('2024-01-01' AS DATE) AS start_24
)
SELECT
  pa_visit_metrics.scope_id AS scope_id,
  pa_visit_metrics.person_id AS person_id,
  'npi' AS unit_type,
  pa_visit_metrics.npi AS unit_id,
  pa_visit_metrics.npi AS npi,
  SUM(pa_visit_metrics.cents_1) AS cents_1,
  COUNT(
    CASE
      WHEN (
        pa_visit_metrics.visit_key IS NOT NULL AND pa_visit_metrics.hit_1 = 1
      )
      THEN 1
    END
  ) AS visits_1,
  MAX(pa_visit_metrics.last_1) AS last_1,
  SUM(pa_visit_metrics.cents_2) AS cents_2,
  COUNT(
    CASE
      WHEN (
        pa_visit_metrics.visit_key IS NOT NULL AND pa_visit_metrics.hit_2 = 1
      )
      THEN 1
    END
  ) AS visits_2,
  MAX(pa_visit_metrics.last_2) AS last_2,
  SUM(pa_visit_metrics.cents_3) AS cents_3,
  COUNT(
    CASE
      WHEN (
        pa_visit_metrics.visit_key IS NOT NULL AND pa_visit_metrics.hit_3 = 1
      )
      THEN 1
    END
  ) AS visits_3,
  MAX(pa_visit_metrics.last_3) AS last_3
FROM (
  SELECT
    pa_pass_tests.scope_id AS scope_id,
    pa_pass_tests.person_id AS person_id,
    pa_pass_tests.npi AS npi,
    pa_pass_tests.visit_key AS visit_key,
    CASE WHEN (
      pa_pass_tests.hit_1 = 1
    ) THEN pa_pass_tests.weighted_1 END AS cents_1,
    pa_pass_tests.hit_1 AS hit_1,
    CASE WHEN (
      pa_pass_tests.hit_1 = 1
    ) THEN pa_pass_tests.service_date END AS last_1,
    CASE WHEN (
      pa_pass_tests.hit_2 = 1
    ) THEN pa_pass_tests.weighted_2 END AS cents_2,
    pa_pass_tests.hit_2 AS hit_2,
    CASE WHEN (
      pa_pass_tests.hit_2 = 1
    ) THEN pa_pass_tests.service_date END AS last_2,
    CASE WHEN (
      pa_pass_tests.hit_3 = 1
    ) THEN pa_pass_tests.weighted_3 END AS cents_3,
    pa_pass_tests.hit_3 AS hit_3,
    CASE WHEN (
      pa_pass_tests.hit_3 = 1
    ) THEN pa_pass_tests.service_date END AS last_3
  FROM (
    SELECT
      pa_scopes.scope_id AS scope_id,
      attribution.attribution_facts__work.person_id AS person_id,
      attribution.attribution_facts__work.npi AS npi,
      attribution.attribution_facts__work.visit_key AS visit_key,
      attribution.attribution_facts__work.service_date AS service_date,
      attribution.attribution_facts__work.amount_cents AS amount_cents,
      attribution.attribution_facts__work.visit_rows AS visit_rows,
      CASE
        WHEN (
          attribution.attribution_facts__work.service_date >= pa_scopes.start_12
          AND attribution.attribution_facts__work.bucket IN ('npp', 'pcp')
          AND attribution.attribution_facts__work.pc_1 = 1
        )
        THEN 1
        ELSE 0
      END AS hit_1,
      attribution.attribution_facts__work.pc_cents_1 AS weighted_1,
      CASE
        WHEN (
          attribution.attribution_facts__work.service_date >= pa_scopes.start_12
          AND attribution.attribution_facts__work.pc_1 = 1
        )
        THEN 1
        ELSE 0
      END AS hit_2,
      attribution.attribution_facts__work.pc_cents_1 AS weighted_2,
      CASE
        WHEN (
          attribution.attribution_facts__work.service_date >= pa_scopes.start_24
          AND attribution.attribution_facts__work.bucket IN ('npp', 'pcp')
          AND attribution.attribution_facts__work.pc_1 = 1
        )
        THEN 1
        ELSE 0
      END AS hit_3,
      attribution.attribution_facts__work.pc_cents_1 AS weighted_3
    FROM attribution.attribution_facts__work
    JOIN pa_scopes
      ON attribution.attribution_facts__work.service_date >= pa_scopes.run_start
      AND attribution.attribution_facts__work.service_date <= pa_scopes.anchor_end
      AND (
        pa_scopes.is_current = 0
        OR attribution.attribution_facts__work.end_date <= pa_scopes.anchor_end
      )
  ) AS pa_pass_tests
  WHERE
    pa_pass_tests.visit_rows = 1
  UNION ALL
  SELECT
    pa_pass_tests.scope_id AS scope_id,
    pa_pass_tests.person_id AS person_id,
    pa_pass_tests.npi AS npi,
    pa_pass_tests.visit_key AS visit_key,
    SUM(CASE WHEN (
      pa_pass_tests.hit_1 = 1
    ) THEN pa_pass_tests.weighted_1 END) AS cents_1,
    MAX(pa_pass_tests.hit_1) AS hit_1,
    MAX(CASE WHEN (
      pa_pass_tests.hit_1 = 1
    ) THEN pa_pass_tests.service_date END) AS last_1,
    SUM(CASE WHEN (
      pa_pass_tests.hit_2 = 1
    ) THEN pa_pass_tests.weighted_2 END) AS cents_2,
    MAX(pa_pass_tests.hit_2) AS hit_2,
    MAX(CASE WHEN (
      pa_pass_tests.hit_2 = 1
    ) THEN pa_pass_tests.service_date END) AS last_2,
    SUM(CASE WHEN (
      pa_pass_tests.hit_3 = 1
    ) THEN pa_pass_tests.weighted_3 END) AS cents_3,
    MAX(pa_pass_tests.hit_3) AS hit_3,
    MAX(CASE WHEN (
      pa_pass_tests.hit_3 = 1
    ) THEN pa_pass_tests.service_date END) AS last_3
  FROM (
    SELECT
      pa_scopes.scope_id AS scope_id,
      attribution.attribution_facts__work.person_id AS person_id,
      attribution.attribution_facts__work.npi AS npi,
      attribution.attribution_facts__work.visit_key AS visit_key,
      attribution.attribution_facts__work.service_date AS service_date,
      attribution.attribution_facts__work.amount_cents AS amount_cents,
      attribution.attribution_facts__work.visit_rows AS visit_rows,
      CASE
        WHEN (
          attribution.attribution_facts__work.service_date >= pa_scopes.start_12
          AND attribution.attribution_facts__work.bucket IN ('npp', 'pcp')
          AND attribution.attribution_facts__work.pc_1 = 1
        )
        THEN 1
        ELSE 0
      END AS hit_1,
      attribution.attribution_facts__work.pc_cents_1 AS weighted_1,
      CASE
        WHEN (
          attribution.attribution_facts__work.service_date >= pa_scopes.start_12
          AND attribution.attribution_facts__work.pc_1 = 1
        )
        THEN 1
        ELSE 0
      END AS hit_2,
      attribution.attribution_facts__work.pc_cents_1 AS weighted_2,
      CASE
        WHEN (
          attribution.attribution_facts__work.service_date >= pa_scopes.start_24
          AND attribution.attribution_facts__work.bucket IN ('npp', 'pcp')
          AND attribution.attribution_facts__work.pc_1 = 1
        )
        THEN 1
        ELSE 0
      END AS hit_3,
      attribution.attribution_facts__work.pc_cents_1 AS weighted_3
    FROM attribution.attribution_facts__work
    JOIN pa_scopes
      ON attribution.attribution_facts__work.service_date >= pa_scopes.run_start
      AND attribution.attribution_facts__work.service_date <= pa_scopes.anchor_end
      AND (
        pa_scopes.is_current = 0
        OR attribution.attribution_facts__work.end_date <= pa_scopes.anchor_end
      )
  ) AS pa_pass_tests
  WHERE
    pa_pass_tests.visit_rows > 1
  GROUP BY
    pa_pass_tests.scope_id,
    pa_pass_tests.person_id,
    pa_pass_tests.npi,
    pa_pass_tests.visit_key
) AS pa_visit_metrics
GROUP BY
  pa_visit_metrics.scope_id,
  pa_visit_metrics.person_id,
  pa_visit_metrics.npi;

CREATE TABLE attribution.provider_ranking AS
WITH pa_units AS (
  SELECT
    pa_unit_sums.scope_id AS scope_id,
    pa_unit_sums.person_id AS person_id,
    pa_unit_sums.unit_type AS unit_type,
    pa_unit_sums.unit_id AS unit_id,
    pa_unit_sums.cents_1 AS cents_1,
    pa_unit_sums.visits_1 AS visits_1,
    pa_unit_sums.last_1 AS last_1,
    pa_unit_sums.cents_2 AS cents_2,
    pa_unit_sums.visits_2 AS visits_2,
    pa_unit_sums.last_2 AS last_2,
    pa_unit_sums.cents_3 AS cents_3,
    pa_unit_sums.visits_3 AS visits_3,
    pa_unit_sums.last_3 AS last_3,
    CAST(1 AS INT) AS ok_1,
    CAST(1 AS INT) AS ok_2,
    CAST(1 AS INT) AS ok_3,
    CASE
      WHEN (
        pa_unit_sums.cents_1 IS NOT NULL
      )
      THEN 1
      WHEN (
        pa_unit_sums.cents_2 IS NOT NULL
      )
      THEN 2
      WHEN (
        pa_unit_sums.cents_3 IS NOT NULL
      )
      THEN 3
    END AS step
  FROM (
    SELECT
      attribution.attribution_metrics__work.scope_id AS scope_id,
      attribution.attribution_metrics__work.person_id AS person_id,
      attribution.attribution_metrics__work.unit_type AS unit_type,
      attribution.attribution_metrics__work.unit_id AS unit_id,
      attribution.attribution_metrics__work.cents_1 AS cents_1,
      attribution.attribution_metrics__work.visits_1 AS visits_1,
      attribution.attribution_metrics__work.last_1 AS last_1,
      attribution.attribution_metrics__work.cents_2 AS cents_2,
      attribution.attribution_metrics__work.visits_2 AS visits_2,
      attribution.attribution_metrics__work.last_2 AS last_2,
      attribution.attribution_metrics__work.cents_3 AS cents_3,
      attribution.attribution_metrics__work.visits_3 AS visits_3,
      attribution.attribution_metrics__work.last_3 AS last_3
    FROM attribution.attribution_metrics__work
  ) AS pa_unit_sums
), pa_scopes AS (
  SELECT
    CAST(0 AS INT) AS scope_id,
    'current' AS scope,
    CAST(NULL AS INT) AS performance_year,
    CAST('2025-06-30' AS DATE) AS as_of_date,
    'current|20250630|' AS key_prefix,
    CAST('2025-06-30' AS DATE) AS anchor_end,
    CAST(1 AS INT) AS is_current,
    CAST(202407 AS INT) AS elig_first,
    CAST(202506 AS INT) AS elig_last,
    CAST(2025 AS INT) AS rule_year,
    CAST(1 AS INT) AS pc_slot,
    CAST('2023-07-01' AS DATE) AS run_start,
    CAST('2023-07-01' AS DATE) AS fallback_start,
    CAST('2024-07-01' AS DATE) AS alive_from,
    CAST('2024-07-01' AS DATE) AS start_12,
    CAST('2023-07-01' AS DATE) AS start_24
  UNION ALL
  SELECT
    CAST(1 AS INT) AS scope_id,
    'yearly' AS scope,
    CAST(2024 AS INT) AS performance_year,
    CAST(NULL AS DATE) AS as_of_date,
    'yearly|2024|' AS key_prefix,
    CAST('2024-12-31' AS DATE) AS anchor_end,
    CAST(0 AS INT) AS is_current,
    CAST(202401 AS INT) AS elig_first,
    CAST(202412 AS INT) AS elig_last,
    CAST(2024 AS INT) AS rule_year,
    CAST(1 AS INT) AS pc_slot,
    CAST('2023-01-01' AS DATE) AS run_start,
    CAST('2023-01-01' AS DATE) AS fallback_start,
    CAST('2024-01-01' AS DATE) AS alive_from,
    CAST('2024-01-01' AS DATE) AS start_12,
    CAST('2023-01-01' AS DATE) AS start_24
  UNION ALL
  SELECT
    CAST(2 AS INT) AS scope_id,
    'yearly' AS scope,
    CAST(2025 AS INT) AS performance_year,
    CAST(NULL AS DATE) AS as_of_date,
    'yearly|2025|' AS key_prefix,
    CAST('2025-12-31' AS DATE) AS anchor_end,
    CAST(0 AS INT) AS is_current,
    CAST(202501 AS INT) AS elig_first,
    CAST(202512 AS INT) AS elig_last,
    CAST(2025 AS INT) AS rule_year,
    CAST(1 AS INT) AS pc_slot,
    CAST('2024-01-01' AS DATE) AS run_start,
    CAST('2024-01-01' AS DATE) AS fallback_start,
    CAST('2025-01-01' AS DATE) AS alive_from,
    CAST('2025-01-01' AS DATE) AS start_12,
    CAST('2024-01-01' AS DATE) AS start_24
), pa_paths AS (
  SELECT
    pa_claims_rows.scope_id AS scope_id,
    pa_claims_rows.person_id AS person_id,
    pa_claims_rows.path_order AS path_order,
    pa_claims_rows.provider_id AS provider_id,
    pa_claims_rows.unit_type AS unit_type,
    pa_claims_rows.top_npi AS top_npi,
    pa_claims_rows.step AS step,
    pa_claims_rows.rank_cents AS rank_cents,
    pa_claims_rows.allowed_amount AS allowed_amount,
    pa_claims_rows.visits AS visits,
    pa_claims_rows.last_service_date AS last_service_date,
    pa_claims_rows.lookback_start_date AS lookback_start_date
  FROM (
    SELECT
      pa_units.scope_id AS scope_id,
      pa_units.person_id AS person_id,
      CAST(0 AS INT) AS path_order,
      pa_units.unit_id AS provider_id,
      pa_units.unit_type AS unit_type,
      pa_units.unit_id AS top_npi,
      pa_units.step AS step,
      CAST(CASE
        WHEN (
          pa_units.step = 1
        )
        THEN pa_units.cents_1
        WHEN (
          pa_units.step = 2
        )
        THEN pa_units.cents_2
        WHEN (
          pa_units.step = 3
        )
        THEN pa_units.cents_3
      END AS BIGINT) AS rank_cents,
      CAST(CAST(CASE
        WHEN (
          pa_units.step = 1
        )
        THEN pa_units.cents_1
        WHEN (
          pa_units.step = 2
        )
        THEN pa_units.cents_2
        WHEN (
          pa_units.step = 3
        )
        THEN pa_units.cents_3
      END AS DECIMAL(20, 2)) * CAST(0.01 AS DECIMAL(3, 2)) AS DECIMAL(18, 2)) AS allowed_amount,
      CAST(CASE
        WHEN (
          pa_units.step = 1
        )
        THEN pa_units.visits_1
        WHEN (
          pa_units.step = 2
        )
        THEN pa_units.visits_2
        WHEN (
          pa_units.step = 3
        )
        THEN pa_units.visits_3
      END AS INT) AS visits,
      CASE
        WHEN (
          pa_units.step = 1
        )
        THEN pa_units.last_1
        WHEN (
          pa_units.step = 2
        )
        THEN pa_units.last_2
        WHEN (
          pa_units.step = 3
        )
        THEN pa_units.last_3
      END AS last_service_date,
      CASE
        WHEN (
          pa_units.step = 1
        )
        THEN pa_scopes.start_12
        WHEN (
          pa_units.step = 2
        )
        THEN pa_scopes.start_12
        WHEN (
          pa_units.step = 3
        )
        THEN pa_scopes.start_24
      END AS lookback_start_date
    FROM pa_units
    JOIN pa_scopes
      ON pa_units.scope_id = pa_scopes.scope_id
    JOIN attribution.attribution_eligible__work
      ON attribution.attribution_eligible__work.scope_id = pa_units.scope_id
      AND attribution.attribution_eligible__work.person_id = pa_units.person_id
    WHERE
      pa_units.step IS NOT NULL
  ) AS pa_claims_rows
  UNION ALL
  SELECT
    pa_self_selection_chosen.scope_id AS scope_id,
    pa_self_selection_chosen.person_id AS person_id,
    CAST(1 AS INT) AS path_order,
    COALESCE(CAST(NULL AS VARCHAR), pa_self_selection_chosen.npi) AS provider_id,
    'npi' AS unit_type,
    pa_self_selection_chosen.npi AS top_npi,
    CAST(0 AS INT) AS step,
    CAST(0 AS BIGINT) AS rank_cents,
    CAST(0 AS DECIMAL(18, 2)) AS allowed_amount,
    CAST(0 AS INT) AS visits,
    CAST(NULL AS DATE) AS last_service_date,
    pa_self_selection_chosen.effective_date AS lookback_start_date
  FROM (
    SELECT
      attribution.attribution_eligible__work.scope_id AS scope_id,
      attribution.attribution_eligible__work.person_id AS person_id,
      CAST(pa_self_selection.npi AS TEXT) COLLATE "C" AS npi,
      pa_self_selection.effective_date AS effective_date,
      pa_scopes.anchor_end AS anchor_end,
      pa_scopes.rule_year AS rule_year,
      ROW_NUMBER() OVER (
        PARTITION BY attribution.attribution_eligible__work.scope_id, attribution.attribution_eligible__work.person_id
        ORDER BY pa_self_selection.effective_date DESC, CAST(pa_self_selection.npi AS TEXT) COLLATE "C" ASC
      ) AS pick
    FROM attribution.attribution_eligible__work
    JOIN pa_scopes
      ON attribution.attribution_eligible__work.scope_id = pa_scopes.scope_id
    JOIN self_selections AS pa_self_selection
      ON CAST(pa_self_selection.person_id AS TEXT) COLLATE "C" = attribution.attribution_eligible__work.person_id
    WHERE
      pa_self_selection.npi IS NOT NULL
      AND pa_self_selection.effective_date IS NOT NULL
      AND pa_self_selection.effective_date <= pa_scopes.anchor_end
      AND (
        pa_self_selection.end_date IS NULL
        OR pa_self_selection.end_date >= pa_scopes.anchor_end
      )
  ) AS pa_self_selection_chosen
  WHERE
    pa_self_selection_chosen.pick = 1
  UNION ALL
  SELECT
    pa_geographic_chosen.scope_id AS scope_id,
    pa_geographic_chosen.person_id AS person_id,
    CAST(2 AS INT) AS path_order,
    COALESCE(CAST(NULL AS VARCHAR), pa_geographic_chosen.npi) AS provider_id,
    'npi' AS unit_type,
    pa_geographic_chosen.npi AS top_npi,
    CAST(0 AS INT) AS step,
    CAST(0 AS BIGINT) AS rank_cents,
    CAST(0 AS DECIMAL(18, 2)) AS allowed_amount,
    CAST(0 AS INT) AS visits,
    CAST(NULL AS DATE) AS last_service_date,
    pa_geographic_chosen.effective_date AS lookback_start_date
  FROM (
    SELECT
      attribution.attribution_eligible__work.scope_id AS scope_id,
      attribution.attribution_eligible__work.person_id AS person_id,
      CAST(pa_geographic.npi AS TEXT) COLLATE "C" AS npi,
      pa_geographic.effective_date AS effective_date,
      pa_scopes.anchor_end AS anchor_end,
      pa_scopes.rule_year AS rule_year,
      ROW_NUMBER() OVER (
        PARTITION BY attribution.attribution_eligible__work.scope_id, attribution.attribution_eligible__work.person_id
        ORDER BY pa_geographic.effective_date DESC, CAST(pa_geographic.npi AS TEXT) COLLATE "C" ASC
      ) AS pick
    FROM attribution.attribution_eligible__work
    JOIN pa_scopes
      ON attribution.attribution_eligible__work.scope_id = pa_scopes.scope_id
    JOIN geographic_assignments AS pa_geographic
      ON CAST(pa_geographic.person_id AS TEXT) COLLATE "C" = attribution.attribution_eligible__work.person_id
    WHERE
      pa_geographic.npi IS NOT NULL
      AND pa_geographic.effective_date IS NOT NULL
      AND pa_geographic.effective_date <= pa_scopes.anchor_end
      AND (
        pa_geographic.end_date IS NULL OR pa_geographic.end_date >= pa_scopes.anchor_end
      )
  ) AS pa_geographic_chosen
  WHERE
    pa_geographic_chosen.pick = 1
), pa_ranked AS (
  SELECT
    pa_paths.scope_id AS scope_id,
    pa_paths.person_id AS person_id,
    pa_paths.path_order AS path_order,
    pa_paths.provider_id AS provider_id,
    pa_paths.unit_type AS unit_type,
    pa_paths.top_npi AS top_npi,
    pa_paths.step AS step,
    pa_paths.rank_cents AS rank_cents,
    pa_paths.allowed_amount AS allowed_amount,
    pa_paths.visits AS visits,
    pa_paths.last_service_date AS last_service_date,
    pa_paths.lookback_start_date AS lookback_start_date,
    CAST(ROW_NUMBER() OVER (
      PARTITION BY pa_paths.scope_id, pa_paths.person_id
      ORDER BY pa_paths.path_order ASC, pa_paths.step ASC, pa_paths.rank_cents DESC, pa_paths.visits DESC, pa_paths.last_service_date DESC, pa_paths.provider_id ASC
    ) AS INT) AS ranking
  FROM pa_paths
), pa_providers AS (
  SELECT
    pa_provider_spec.npi AS npi,
    CASE
      WHEN (
        pa_provider_spec.specialty IN ('01', '08', '11', '37', '38')
      )
      THEN 'pcp'
      WHEN (
        pa_provider_spec.specialty IN ('50', '89', '97')
      )
      THEN 'npp'
      WHEN (
        pa_provider_spec.specialty IN (
          '06',
          '12',
          '13',
          '16',
          '17',
          '23',
          '25',
          '26',
          '27',
          '29',
          '39',
          '44',
          '46',
          '70',
          '79',
          '82',
          '83',
          '84',
          '86',
          '90',
          '98'
        )
      )
      THEN 'specialist'
      ELSE 'unknown'
    END AS bucket,
    CAST(CASE
      WHEN (
        pa_provider_spec.specialty = '01'
      )
      THEN 'General Practice'
      WHEN (
        pa_provider_spec.specialty = '02'
      )
      THEN 'General Surgery'
      WHEN (
        pa_provider_spec.specialty = '05'
      )
      THEN 'Anesthesiology'
      WHEN (
        pa_provider_spec.specialty = '06'
      )
      THEN 'Cardiology'
      WHEN (
        pa_provider_spec.specialty = '07'
      )
      THEN 'Dermatology'
      WHEN (
        pa_provider_spec.specialty = '08'
      )
      THEN 'Family Practice'
      WHEN (
        pa_provider_spec.specialty = '10'
      )
      THEN 'Gastroenterology'
      WHEN (
        pa_provider_spec.specialty = '11'
      )
      THEN 'Internal Medicine'
      WHEN (
        pa_provider_spec.specialty = '12'
      )
      THEN 'Osteopathic Manipulative Medicine'
      WHEN (
        pa_provider_spec.specialty = '13'
      )
      THEN 'Neurology'
      WHEN (
        pa_provider_spec.specialty = '16'
      )
      THEN 'Obstetrics/Gynecology'
      WHEN (
        pa_provider_spec.specialty = '17'
      )
      THEN 'Hospice and Palliative Care'
      WHEN (
        pa_provider_spec.specialty = '18'
      )
      THEN 'Ophthalmology'
      WHEN (
        pa_provider_spec.specialty = '20'
      )
      THEN 'Orthopedic Surgery'
      WHEN (
        pa_provider_spec.specialty = '23'
      )
      THEN 'Sports Medicine'
      WHEN (
        pa_provider_spec.specialty = '25'
      )
      THEN 'Physical Medicine and Rehabilitation'
      WHEN (
        pa_provider_spec.specialty = '26'
      )
      THEN 'Psychiatry'
      WHEN (
        pa_provider_spec.specialty = '27'
      )
      THEN 'Geriatric Psychiatry'
      WHEN (
        pa_provider_spec.specialty = '29'
      )
      THEN 'Pulmonary Disease'
      WHEN (
        pa_provider_spec.specialty = '30'
      )
      THEN 'Diagnostic Radiology'
      WHEN (
        pa_provider_spec.specialty = '37'
      )
      THEN 'Pediatric Medicine'
      WHEN (
        pa_provider_spec.specialty = '38'
      )
      THEN 'Geriatric Medicine'
      WHEN (
        pa_provider_spec.specialty = '39'
      )
      THEN 'Nephrology'
      WHEN (
        pa_provider_spec.specialty = '44'
      )
      THEN 'Infectious Disease'
      WHEN (
        pa_provider_spec.specialty = '46'
      )
      THEN 'Endocrinology'
      WHEN (
        pa_provider_spec.specialty = '50'
      )
      THEN 'Nurse Practitioner'
      WHEN (
        pa_provider_spec.specialty = '69'
      )
      THEN 'Clinical Laboratory'
      WHEN (
        pa_provider_spec.specialty = '70'
      )
      THEN 'Multispecialty Clinic or Group Practice'
      WHEN (
        pa_provider_spec.specialty = '79'
      )
      THEN 'Addiction Medicine'
      WHEN (
        pa_provider_spec.specialty = '82'
      )
      THEN 'Hematology'
      WHEN (
        pa_provider_spec.specialty = '83'
      )
      THEN 'Hematology/Oncology'
      WHEN (
        pa_provider_spec.specialty = '84'
      )
      THEN 'Preventive Medicine'
      WHEN (
        pa_provider_spec.specialty = '86'
      )
      THEN 'Neuropsychiatry'
      WHEN (
        pa_provider_spec.specialty = '89'
      )
      THEN 'Certified Clinical Nurse Specialist'
      WHEN (
        pa_provider_spec.specialty = '90'
      )
      THEN 'Medical Oncology'
      WHEN (
        pa_provider_spec.specialty = '93'
      )
      THEN 'Emergency Medicine'
      WHEN (
        pa_provider_spec.specialty = '97'
      )
      THEN 'Physician Assistant'
      WHEN (
        pa_provider_spec.specialty = '98'
      )
      THEN 'Gynecological Oncology'
    END AS VARCHAR) AS prov_specialty,
    pa_provider_spec.is_org AS is_org,
    pa_provider_spec.is_individual AS is_individual
  FROM (
    SELECT
      pa_provider_dedup.npi AS npi,
      pa_provider_dedup.is_org AS is_org,
      pa_provider_dedup.is_individual AS is_individual,
      CASE
        WHEN (
          pa_provider_dedup.cls = '207L00000X'
        )
        THEN '05'
        WHEN (
          pa_provider_dedup.cls = '207N00000X'
        )
        THEN '07'
        WHEN (
          pa_provider_dedup.cls = '207P00000X'
        )
        THEN '93'
        WHEN (
          pa_provider_dedup.cls = '207Q00000X'
        )
        THEN '08'
        WHEN (
          pa_provider_dedup.cls = '207QA0505X'
        )
        THEN '08'
        WHEN (
          pa_provider_dedup.cls = '207QG0300X'
        )
        THEN '38'
        WHEN (
          pa_provider_dedup.cls = '207QS0010X'
        )
        THEN '23'
        WHEN (
          pa_provider_dedup.cls = '207R00000X'
        )
        THEN '11'
        WHEN (
          pa_provider_dedup.cls = '207RA0000X'
        )
        THEN '11'
        WHEN (
          pa_provider_dedup.cls = '207RC0000X'
        )
        THEN '06'
        WHEN (
          pa_provider_dedup.cls = '207RE0101X'
        )
        THEN '46'
        WHEN (
          pa_provider_dedup.cls = '207RG0100X'
        )
        THEN '10'
        WHEN (
          pa_provider_dedup.cls = '207RG0300X'
        )
        THEN '38'
        WHEN (
          pa_provider_dedup.cls = '207RH0000X'
        )
        THEN '82'
        WHEN (
          pa_provider_dedup.cls = '207RH0003X'
        )
        THEN '83'
        WHEN (
          pa_provider_dedup.cls = '207RI0200X'
        )
        THEN '44'
        WHEN (
          pa_provider_dedup.cls = '207RN0300X'
        )
        THEN '39'
        WHEN (
          pa_provider_dedup.cls = '207RP1001X'
        )
        THEN '29'
        WHEN (
          pa_provider_dedup.cls = '207RX0202X'
        )
        THEN '90'
        WHEN (
          pa_provider_dedup.cls = '207V00000X'
        )
        THEN '16'
        WHEN (
          pa_provider_dedup.cls = '207VG0400X'
        )
        THEN '16'
        WHEN (
          pa_provider_dedup.cls = '207VX0201X'
        )
        THEN '98'
        WHEN (
          pa_provider_dedup.cls = '207W00000X'
        )
        THEN '18'
        WHEN (
          pa_provider_dedup.cls = '207X00000X'
        )
        THEN '20'
        WHEN (
          pa_provider_dedup.cls = '208000000X'
        )
        THEN '37'
        WHEN (
          pa_provider_dedup.cls = '208100000X'
        )
        THEN '25'
        WHEN (
          pa_provider_dedup.cls = '2083P0500X'
        )
        THEN '84'
        WHEN (
          pa_provider_dedup.cls = '2084A0401X'
        )
        THEN '79'
        WHEN (
          pa_provider_dedup.cls = '2084N0400X'
        )
        THEN '13'
        WHEN (
          pa_provider_dedup.cls = '2084P0800X'
        )
        THEN '26'
        WHEN (
          pa_provider_dedup.cls = '2084P0805X'
        )
        THEN '27'
        WHEN (
          pa_provider_dedup.cls = '2085R0202X'
        )
        THEN '30'
        WHEN (
          pa_provider_dedup.cls = '208600000X'
        )
        THEN '02'
        WHEN (
          pa_provider_dedup.cls = '208D00000X'
        )
        THEN '01'
        WHEN (
          pa_provider_dedup.cls = '291U00000X'
        )
        THEN '69'
        WHEN (
          pa_provider_dedup.cls = '363A00000X'
        )
        THEN '97'
        WHEN (
          pa_provider_dedup.cls = '363AM0700X'
        )
        THEN '97'
        WHEN (
          pa_provider_dedup.cls = '363L00000X'
        )
        THEN '50'
        WHEN (
          pa_provider_dedup.cls = '363LA2200X'
        )
        THEN '50'
        WHEN (
          pa_provider_dedup.cls = '363LF0000X'
        )
        THEN '50'
        WHEN (
          pa_provider_dedup.cls = '363LP2300X'
        )
        THEN '50'
        WHEN (
          pa_provider_dedup.cls = '364S00000X'
        )
        THEN '89'
      END AS specialty
    FROM (
      SELECT
        CAST(terminology.provider.npi AS TEXT) COLLATE "C" AS npi,
        MIN(UPPER(TRIM(terminology.provider.primary_taxonomy_code))) AS cls,
        MAX(
          CASE
            WHEN (
              LOWER(TRIM(CAST(terminology.provider.entity_type_description AS VARCHAR))) IN ('2', 'organization')
            )
            THEN 1
            ELSE 0
          END
        ) AS is_org,
        MAX(
          CASE
            WHEN (
              LOWER(TRIM(CAST(terminology.provider.entity_type_description AS VARCHAR))) IN ('1', 'individual')
            )
            THEN 1
            ELSE 0
          END
        ) AS is_individual
      FROM terminology.provider
      WHERE
        CAST(terminology.provider.npi AS TEXT) COLLATE "C" IS NOT NULL
      GROUP BY
        CAST(terminology.provider.npi AS TEXT) COLLATE "C"
    ) AS pa_provider_dedup
  ) AS pa_provider_spec
)
SELECT
  pa_all_rows.person_id AS person_id,
  pa_scopes.scope AS scope,
  pa_scopes.performance_year AS performance_year,
  pa_scopes.as_of_date AS as_of_date,
  pa_all_rows.attribution_type AS attribution_type,
  pa_all_rows.provider_id AS provider_id,
  pa_all_rows.unit_type AS unit_type,
  pa_all_rows.top_npi AS top_npi,
  pa_all_rows.provider_bucket AS provider_bucket,
  pa_all_rows.prov_specialty AS prov_specialty,
  pa_all_rows.step AS step,
  pa_all_rows.step_description AS step_description,
  pa_all_rows.allowed_amount AS allowed_amount,
  pa_all_rows.visits AS visits,
  pa_all_rows.last_service_date AS last_service_date,
  pa_all_rows.lookback_start_date AS lookback_start_date,
  pa_scopes.anchor_end AS lookback_end_date,
  pa_all_rows.ranking AS ranking,
  pa_scopes.key_prefix || CAST(pa_all_rows.person_id AS VARCHAR) AS attribution_key
FROM (
  SELECT
    pa_ranked.scope_id AS scope_id,
    pa_ranked.person_id AS person_id,
    CAST(CASE
      WHEN (
        pa_ranked.path_order = 0
      )
      THEN 'claims'
      WHEN (
        pa_ranked.path_order = 1
      )
      THEN 'self_selection'
      WHEN (
        pa_ranked.path_order = 2
      )
      THEN 'geographic'
    END AS VARCHAR) AS attribution_type,
    pa_ranked.provider_id AS provider_id,
    pa_ranked.unit_type AS unit_type,
    pa_ranked.top_npi AS top_npi,
    CASE
      WHEN (
        pa_providers.bucket IN ('pcp', 'npp', 'specialist')
      )
      THEN pa_providers.bucket
      ELSE 'unknown'
    END AS provider_bucket,
    pa_providers.prov_specialty AS prov_specialty,
    pa_ranked.step AS step,
    CAST(CASE
      WHEN (
        pa_ranked.path_order = 0
      )
      THEN CASE
        WHEN (
          pa_ranked.step = 1
        )
        THEN '12-month PCP/NPP primary care'
        WHEN (
          pa_ranked.step = 2
        )
        THEN '12-month primary care, any provider'
        WHEN (
          pa_ranked.step = 3
        )
        THEN '24-month PCP/NPP primary care'
      END
      WHEN (
        pa_ranked.path_order = 1
      )
      THEN 'Self-selected provider'
      WHEN (
        pa_ranked.path_order = 2
      )
      THEN 'Geographic assignment'
    END AS VARCHAR) AS step_description,
    pa_ranked.allowed_amount AS allowed_amount,
    pa_ranked.visits AS visits,
    pa_ranked.last_service_date AS last_service_date,
    pa_ranked.lookback_start_date AS lookback_start_date,
    pa_ranked.ranking AS ranking
  FROM pa_ranked
  LEFT OUTER JOIN pa_providers
    ON pa_ranked.top_npi = pa_providers.npi
  UNION ALL
  SELECT
    attribution.attribution_eligible__work.scope_id AS scope_id,
    attribution.attribution_eligible__work.person_id AS person_id,
    'none' AS attribution_type,
    '9999999999' AS provider_id,
    CAST(NULL AS VARCHAR) AS unit_type,
    CAST(NULL AS VARCHAR) AS top_npi,
    'no_eligible_history' AS provider_bucket,
    'No assignable claims history' AS prov_specialty,
    CAST(0 AS INT) AS step,
    'No assignable history' AS step_description,
    CAST(0 AS DECIMAL(18, 2)) AS allowed_amount,
    CAST(0 AS INT) AS visits,
    CAST(NULL AS DATE) AS last_service_date,
    pa_scopes.fallback_start AS lookback_start_date,
    CAST(1 AS INT) AS ranking
  FROM attribution.attribution_eligible__work
  JOIN pa_scopes
    ON attribution.attribution_eligible__work.scope_id = pa_scopes.scope_id
  WHERE
    NOT (
      EXISTS(
        SELECT
          1 AS anon_1
        FROM pa_ranked
        WHERE
          pa_ranked.scope_id = attribution.attribution_eligible__work.scope_id
          AND pa_ranked.person_id = attribution.attribution_eligible__work.person_id
      )
    )
) AS pa_all_rows
JOIN pa_scopes
  ON pa_all_rows.scope_id = pa_scopes.scope_id;

CREATE TABLE attribution.assigned_beneficiaries_current AS
SELECT
  attribution.provider_ranking.person_id AS person_id,
  attribution.provider_ranking.as_of_date AS as_of_date,
  attribution.provider_ranking.attribution_type AS attribution_type,
  attribution.provider_ranking.provider_id AS provider_id,
  attribution.provider_ranking.unit_type AS unit_type,
  attribution.provider_ranking.top_npi AS top_npi,
  attribution.provider_ranking.provider_bucket AS provider_bucket,
  attribution.provider_ranking.prov_specialty AS prov_specialty,
  attribution.provider_ranking.step AS assigned_step,
  attribution.provider_ranking.step_description AS step_description,
  attribution.provider_ranking.allowed_amount AS allowed_amount,
  attribution.provider_ranking.visits AS visits,
  attribution.provider_ranking.last_service_date AS last_service_date,
  attribution.provider_ranking.lookback_start_date AS lookback_start_date,
  attribution.provider_ranking.lookback_end_date AS lookback_end_date,
  attribution.provider_ranking.attribution_key AS attribution_key
FROM attribution.provider_ranking
WHERE
  attribution.provider_ranking.scope = 'current'
  AND attribution.provider_ranking.ranking = 1;

CREATE TABLE attribution.assigned_beneficiaries_yearly AS
SELECT
  attribution.provider_ranking.person_id AS person_id,
  attribution.provider_ranking.performance_year AS performance_year,
  attribution.provider_ranking.attribution_type AS attribution_type,
  attribution.provider_ranking.provider_id AS provider_id,
  attribution.provider_ranking.unit_type AS unit_type,
  attribution.provider_ranking.top_npi AS top_npi,
  attribution.provider_ranking.provider_bucket AS provider_bucket,
  attribution.provider_ranking.prov_specialty AS prov_specialty,
  attribution.provider_ranking.step AS assigned_step,
  attribution.provider_ranking.step_description AS step_description,
  attribution.provider_ranking.allowed_amount AS allowed_amount,
  attribution.provider_ranking.visits AS visits,
  attribution.provider_ranking.last_service_date AS last_service_date,
  attribution.provider_ranking.lookback_start_date AS lookback_start_date,
  attribution.provider_ranking.lookback_end_date AS lookback_end_date,
  attribution.provider_ranking.attribution_key AS attribution_key
FROM attribution.provider_ranking
WHERE
  attribution.provider_ranking.scope = 'yearly'
  AND attribution.provider_ranking.ranking = 1;

CREATE TABLE attribution.attribution_exclusions AS
WITH pa_eligible_flags AS (
  SELECT
    attribution.attribution_eligible__work.person_id AS person_id,
    MAX(
      CASE
        WHEN (
          attribution.attribution_eligible__work.scope_id = 0
        )
        THEN 1
        ELSE 0
      END
    ) AS k0,
    MAX(
      CASE
        WHEN (
          attribution.attribution_eligible__work.scope_id = 1
        )
        THEN 1
        ELSE 0
      END
    ) AS k1,
    MAX(
      CASE
        WHEN (
          attribution.attribution_eligible__work.scope_id = 2
        )
        THEN 1
        ELSE 0
      END
    ) AS k2
  FROM attribution.attribution_eligible__work
  GROUP BY
    attribution.attribution_eligible__work.person_id
), pa_line_status AS (
  SELECT
    CAST(CASE
      WHEN (
        pa_line_tests.check_status > 0
      )
      THEN pa_line_tests.check_status
      WHEN (
        pa_line_tests.in_window <> 1
      )
      THEN 10
      WHEN (
        pa_line_tests.has_month <> 1
      )
      THEN 11
      WHEN (
        NOT (
          pa_line_tests.k0_free = 1
          OR pa_line_tests.k1_free = 1
          OR pa_line_tests.k2_free = 1
        )
      )
      THEN CASE WHEN (
        pa_line_tests.primary_care <> '1'
      ) THEN 12 ELSE 13 END
      WHEN (
        NOT (
          pa_line_tests.k0_free = 1
          AND pa_line_tests.k0_eligible = 1
          OR pa_line_tests.k1_free = 1
          AND pa_line_tests.k1_eligible = 1
          OR pa_line_tests.k2_free = 1
          AND pa_line_tests.k2_eligible = 1
        )
      )
      THEN 14
      ELSE 16
    END AS INT) AS status,
    pa_line_tests.copies AS copies
  FROM (
    SELECT
      attribution.attribution_checked__work.check_status AS check_status,
      attribution.attribution_checked__work.copies AS copies,
      attribution.attribution_checked__work.primary_care AS primary_care,
      attribution.attribution_checked__work.in_directory AS in_directory,
      CASE
        WHEN (
          attribution.attribution_checked__work.service_date >= CAST('2023-07-01' AS DATE)
          AND attribution.attribution_checked__work.service_date <= CAST('2025-06-30' AS DATE)
          AND attribution.attribution_checked__work.end_date IS NOT NULL
          AND attribution.attribution_checked__work.end_date <= CAST('2025-06-30' AS DATE)
          OR attribution.attribution_checked__work.service_date >= CAST('2023-01-01' AS DATE)
          AND attribution.attribution_checked__work.service_date <= CAST('2024-12-31' AS DATE)
          OR attribution.attribution_checked__work.service_date >= CAST('2024-01-01' AS DATE)
          AND attribution.attribution_checked__work.service_date <= CAST('2025-12-31' AS DATE)
        )
        THEN 1
        ELSE 0
      END AS in_window,
      attribution.attribution_checked__work.has_month AS has_month,
      CASE
        WHEN (
          attribution.attribution_checked__work.service_date <= CAST('2025-06-30' AS DATE)
          AND attribution.attribution_checked__work.end_date IS NOT NULL
          AND attribution.attribution_checked__work.end_date <= CAST('2025-06-30' AS DATE)
          AND (
            attribution.attribution_checked__work.service_date >= CAST('2023-07-01' AS DATE)
            AND attribution.attribution_checked__work.bucket IN ('npp', 'pcp')
            AND attribution.attribution_checked__work.primary_care = '1'
            OR attribution.attribution_checked__work.service_date >= CAST('2024-07-01' AS DATE)
            AND (
              attribution.attribution_checked__work.bucket IN ('npp', 'pcp')
              AND attribution.attribution_checked__work.primary_care = '1'
              OR attribution.attribution_checked__work.primary_care = '1'
            )
          )
        )
        THEN 1
        ELSE 0
      END AS k0_free,
      CASE WHEN (
        COALESCE(pa_eligible_flags.k0, 0) = 1
      ) THEN 1 ELSE 0 END AS k0_eligible,
      CASE
        WHEN (
          attribution.attribution_checked__work.service_date <= CAST('2024-12-31' AS DATE)
          AND (
            attribution.attribution_checked__work.service_date >= CAST('2023-01-01' AS DATE)
            AND attribution.attribution_checked__work.bucket IN ('npp', 'pcp')
            AND attribution.attribution_checked__work.primary_care = '1'
            OR attribution.attribution_checked__work.service_date >= CAST('2024-01-01' AS DATE)
            AND (
              attribution.attribution_checked__work.bucket IN ('npp', 'pcp')
              AND attribution.attribution_checked__work.primary_care = '1'
              OR attribution.attribution_checked__work.primary_care = '1'
            )
          )
        )
        THEN 1
        ELSE 0
      END AS k1_free,
      CASE WHEN (
        COALESCE(pa_eligible_flags.k1, 0) = 1
      ) THEN 1 ELSE 0 END AS k1_eligible,
      CASE
        WHEN (
          attribution.attribution_checked__work.service_date <= CAST('2025-12-31' AS DATE)
          AND (
            attribution.attribution_checked__work.service_date >= CAST('2024-01-01' AS DATE)
            AND attribution.attribution_checked__work.bucket IN ('npp', 'pcp')
            AND attribution.attribution_checked__work.primary_care = '1'
            OR attribution.attribution_checked__work.service_date >= CAST('2025-01-01' AS DATE)
            AND (
              attribution.attribution_checked__work.bucket IN ('npp', 'pcp')
              AND attribution.attribution_checked__work.primary_care = '1'
              OR attribution.attribution_checked__work.primary_care = '1'
            )
          )
        )
        THEN 1
        ELSE 0
      END AS k2_free,
      CASE WHEN (
        COALESCE(pa_eligible_flags.k2, 0) = 1
      ) THEN 1 ELSE 0 END AS k2_eligible
    FROM attribution.attribution_checked__work
    LEFT OUTER JOIN pa_eligible_flags
      ON pa_eligible_flags.person_id = attribution.attribution_checked__work.person_id
  ) AS pa_line_tests
), pa_status_groups AS (
  SELECT
    pa_line_status.status AS status,
    COUNT(*) AS n,
    SUM(pa_line_status.copies - 1) AS extra_copies
  FROM pa_line_status
  GROUP BY
    pa_line_status.status
)
SELECT
  pa_reason_counts.reason_order,
  MAX(pa_reason_counts.reason) AS reason,
  MAX(pa_reason_counts.description) AS description,
  CAST(SUM(pa_reason_counts.n) AS BIGINT) AS lines
FROM (
  SELECT
    1 AS reason_order,
    'duplicate_line' AS reason,
    'Exact copy of an earlier row in every mapped column; counted once' AS description,
    CAST(0 AS BIGINT) AS n
  UNION ALL
  SELECT
    2 AS reason_order,
    'missing_person_id' AS reason,
    'person_id is null' AS description,
    CAST(0 AS BIGINT) AS n
  UNION ALL
  SELECT
    3 AS reason_order,
    'missing_service_date' AS reason,
    'claim_start_date and claim_end_date are both null' AS description,
    CAST(0 AS BIGINT) AS n
  UNION ALL
  SELECT
    4 AS reason_order,
    'future_service_date' AS reason,
    'Service date after the run date' AS description,
    CAST(0 AS BIGINT) AS n
  UNION ALL
  SELECT
    5 AS reason_order,
    'fqhc_not_attested' AS reason,
    'FQHC/RHC revenue-code line without an attested attending NPI' AS description,
    CAST(0 AS BIGINT) AS n
  UNION ALL
  SELECT
    6 AS reason_order,
    'missing_npi' AS reason,
    'The credited NPI (rendering, or attending on FQHC/RHC lines) is null' AS description,
    CAST(0 AS BIGINT) AS n
  UNION ALL
  SELECT
    7 AS reason_order,
    'invalid_npi' AS reason,
    'The credited NPI fails the NPI check digit (Luhn with prefix 80840)' AS description,
    CAST(0 AS BIGINT) AS n
  UNION ALL
  SELECT
    8 AS reason_order,
    'organizational_npi' AS reason,
    'The credited NPI is an organization (entity type 2)' AS description,
    CAST(0 AS BIGINT) AS n
  UNION ALL
  SELECT
    9 AS reason_order,
    'reversed_claim' AS reason,
    'The claim nets to zero or less after its reversal lines' AS description,
    CAST(0 AS BIGINT) AS n
  UNION ALL
  SELECT
    10 AS reason_order,
    'outside_window' AS reason,
    'Service date outside every scope key''s widest window' AS description,
    CAST(0 AS BIGINT) AS n
  UNION ALL
  SELECT
    11 AS reason_order,
    'no_eligibility' AS reason,
    'The person has no member month for the service month' AS description,
    CAST(0 AS BIGINT) AS n
  UNION ALL
  SELECT
    12 AS reason_order,
    'not_primary_care' AS reason,
    'Not a primary-care service, and no pass takes other services' AS description,
    CAST(0 AS BIGINT) AS n
  UNION ALL
  SELECT
    13 AS reason_order,
    'no_matching_pass' AS reason,
    'No pass takes the line''s provider type in its window' AS description,
    CAST(0 AS BIGINT) AS n
  UNION ALL
  SELECT
    14 AS reason_order,
    'person_not_eligible' AS reason,
    'The person is outside the eligible population where it counts' AS description,
    CAST(0 AS BIGINT) AS n
  UNION ALL
  SELECT
    15 AS reason_order,
    'person_not_assignable' AS reason,
    'The person fails the pre-step gate where it counts' AS description,
    CAST(0 AS BIGINT) AS n
  UNION ALL
  SELECT
    16 AS reason_order,
    'used' AS reason,
    'Counts for a claims candidate in at least one scope key' AS description,
    CAST(0 AS BIGINT) AS n
  UNION ALL
  SELECT
    pa_status_counts.status AS status,
    '' AS reason,
    '' AS description,
    pa_status_counts.n AS n
  FROM (
    SELECT
      CASE
        WHEN (
          pa_count_kinds.duplicates = 1
        )
        THEN 1
        ELSE pa_status_groups.status
      END AS status,
      CAST(CASE
        WHEN (
          pa_count_kinds.duplicates = 1
        )
        THEN pa_status_groups.extra_copies
        ELSE pa_status_groups.n
      END AS BIGINT) AS n
    FROM pa_status_groups
    JOIN (
      SELECT
        0 AS duplicates
      UNION ALL
      SELECT
        1 AS duplicates
    ) AS pa_count_kinds
      ON TRUE
  ) AS pa_status_counts
) AS pa_reason_counts
GROUP BY
  pa_reason_counts.reason_order;

CREATE TABLE attribution.beneficiary_exclusions AS
WITH pa_scopes AS (
  SELECT
    CAST(0 AS INT) AS scope_id,
    'current' AS scope,
    CAST(NULL AS INT) AS performance_year,
    CAST('2025-06-30' AS DATE) AS as_of_date,
    'current|20250630|' AS key_prefix,
    CAST('2025-06-30' AS DATE) AS anchor_end,
    CAST(1 AS INT) AS is_current,
    CAST(202407 AS INT) AS elig_first,
    CAST(202506 AS INT) AS elig_last,
    CAST(2025 AS INT) AS rule_year,
    CAST(1 AS INT) AS pc_slot,
    CAST('2023-07-01' AS DATE) AS run_start,
    CAST('2023-07-01' AS DATE) AS fallback_start,
    CAST('2024-07-01' AS DATE) AS alive_from,
    CAST('2024-07-01' AS DATE) AS start_12,
    CAST('2023-07-01' AS DATE) AS start_24
  UNION ALL
  SELECT
    CAST(1 AS INT) AS scope_id,
    'yearly' AS scope,
    CAST(2024 AS INT) AS performance_year,
    CAST(NULL AS DATE) AS as_of_date,
    'yearly|2024|' AS key_prefix,
    CAST('2024-12-31' AS DATE) AS anchor_end,
    CAST(0 AS INT) AS is_current,
    CAST(202401 AS INT) AS elig_first,
    CAST(202412 AS INT) AS elig_last,
    CAST(2024 AS INT) AS rule_year,
    CAST(1 AS INT) AS pc_slot,
    CAST('2023-01-01' AS DATE) AS run_start,
    CAST('2023-01-01' AS DATE) AS fallback_start,
    CAST('2024-01-01' AS DATE) AS alive_from,
    CAST('2024-01-01' AS DATE) AS start_12,
    CAST('2023-01-01' AS DATE) AS start_24
  UNION ALL
  SELECT
    CAST(2 AS INT) AS scope_id,
    'yearly' AS scope,
    CAST(2025 AS INT) AS performance_year,
    CAST(NULL AS DATE) AS as_of_date,
    'yearly|2025|' AS key_prefix,
    CAST('2025-12-31' AS DATE) AS anchor_end,
    CAST(0 AS INT) AS is_current,
    CAST(202501 AS INT) AS elig_first,
    CAST(202512 AS INT) AS elig_last,
    CAST(2025 AS INT) AS rule_year,
    CAST(1 AS INT) AS pc_slot,
    CAST('2024-01-01' AS DATE) AS run_start,
    CAST('2024-01-01' AS DATE) AS fallback_start,
    CAST('2025-01-01' AS DATE) AS alive_from,
    CAST('2025-01-01' AS DATE) AS start_12,
    CAST('2024-01-01' AS DATE) AS start_24
), pa_population AS (
  SELECT DISTINCT
    pa_scopes.scope_id AS scope_id,
    attribution.attribution_member_spans__work.person_id AS person_id
  FROM attribution.attribution_member_spans__work
  JOIN pa_scopes
    ON attribution.attribution_member_spans__work.first_month <= pa_scopes.elig_last
    AND attribution.attribution_member_spans__work.last_month >= pa_scopes.elig_first
), pa_deaths AS (
  SELECT
    CAST(enrollment.person_id AS TEXT) COLLATE "C" AS person_id,
    MIN(enrollment.death_date) AS death_date
  FROM enrollment
  WHERE
    CAST(enrollment.person_id AS TEXT) COLLATE "C" IS NOT NULL
    AND enrollment.death_date IS NOT NULL
  GROUP BY
    CAST(enrollment.person_id AS TEXT) COLLATE "C"
), pa_enrollment_months AS (
  SELECT
    pa_enrollment_raw.person_id AS person_id,
    pa_enrollment_raw.month_key AS month_key,
    MAX(pa_enrollment_raw.part_a) AS part_a,
    MAX(pa_enrollment_raw.part_b) AS part_b,
    MAX(pa_enrollment_raw.managed_care) AS managed_care,
    MAX(pa_enrollment_raw.outside_us) AS outside_us,
    MAX(pa_enrollment_raw.other_initiative) AS other_initiative
  FROM (
    SELECT
      CAST(enrollment.person_id AS TEXT) COLLATE "C" AS person_id,
      CAST(enrollment.year_month AS INT) AS month_key,
      CASE
        WHEN (
          LOWER(TRIM(CAST(enrollment.part_a AS VARCHAR))) IN ('1', 't', 'true', 'y', 'yes')
        )
        THEN 1
        ELSE 0
      END AS part_a,
      CASE
        WHEN (
          LOWER(TRIM(CAST(enrollment.part_b AS VARCHAR))) IN ('1', 't', 'true', 'y', 'yes')
        )
        THEN 1
        ELSE 0
      END AS part_b,
      CASE
        WHEN (
          LOWER(TRIM(CAST(enrollment.managed_care AS VARCHAR))) IN ('1', 't', 'true', 'y', 'yes')
        )
        THEN 1
        ELSE 0
      END AS managed_care,
      CASE
        WHEN (
          LOWER(TRIM(CAST(enrollment.outside_us AS VARCHAR))) IN ('1', 't', 'true', 'y', 'yes')
        )
        THEN 1
        ELSE 0
      END AS outside_us,
      CASE
        WHEN (
          LOWER(TRIM(CAST(enrollment.other_initiative AS VARCHAR))) IN ('1', 't', 'true', 'y', 'yes')
        )
        THEN 1
        ELSE 0
      END AS other_initiative
    FROM enrollment
  ) AS pa_enrollment_raw
  WHERE
    pa_enrollment_raw.person_id IS NOT NULL
    AND pa_enrollment_raw.month_key IS NOT NULL
  GROUP BY
    pa_enrollment_raw.person_id,
    pa_enrollment_raw.month_key
), pa_enrollment_flags AS (
  SELECT
    pa_scopes.scope_id AS scope_id,
    pa_enrollment_months.person_id AS person_id,
    MAX(
      CASE
        WHEN (
          pa_enrollment_months.part_a = 1 AND pa_enrollment_months.part_b = 1
        )
        THEN 1
        ELSE 0
      END
    ) AS "both",
    MAX(
      CASE
        WHEN (
          pa_enrollment_months.part_a + pa_enrollment_months.part_b = 1
        )
        THEN 1
        ELSE 0
      END
    ) AS one_part,
    MAX(pa_enrollment_months.managed_care) AS managed_care,
    MAX(pa_enrollment_months.outside_us) AS outside_us,
    MAX(pa_enrollment_months.other_initiative) AS other_initiative
  FROM pa_enrollment_months
  JOIN pa_scopes
    ON pa_enrollment_months.month_key BETWEEN pa_scopes.elig_first AND pa_scopes.elig_last
  GROUP BY
    pa_scopes.scope_id,
    pa_enrollment_months.person_id
), pa_person_reasons AS (
  SELECT
    pa_population.scope_id AS scope_id,
    pa_population.person_id AS person_id,
    CAST(CASE
      WHEN (
        pa_deaths.death_date < pa_scopes.alive_from
      )
      THEN 1
      WHEN (
        COALESCE(pa_enrollment_flags."both", 0) = 0 OR pa_enrollment_flags.one_part = 1
      )
      THEN 2
      WHEN (
        pa_enrollment_flags.managed_care = 1
      )
      THEN 3
      WHEN (
        pa_enrollment_flags.outside_us = 1
      )
      THEN 4
      WHEN (
        pa_enrollment_flags.other_initiative = 1
      )
      THEN 5
      ELSE 6
    END AS INT) AS reason_order
  FROM pa_population
  JOIN pa_scopes
    ON pa_scopes.scope_id = pa_population.scope_id
  LEFT OUTER JOIN pa_deaths
    ON pa_population.person_id = pa_deaths.person_id
  LEFT OUTER JOIN pa_enrollment_flags
    ON pa_enrollment_flags.scope_id = pa_population.scope_id
    AND pa_population.person_id = pa_enrollment_flags.person_id
)
SELECT
  pa_scopes.scope,
  pa_scopes.performance_year,
  pa_scopes.as_of_date,
  pa_beneficiary_reasons.reason_order,
  pa_beneficiary_reasons.reason,
  pa_beneficiary_reasons.description,
  CAST(COALESCE(pa_reason_counts.n, 0) AS BIGINT) AS beneficiaries
FROM pa_scopes
JOIN (
  SELECT
    1 AS reason_order,
    'deceased' AS reason,
    'Died before the performance year (current scope: the eligibility window)' AS description
  UNION ALL
  SELECT
    2 AS reason_order,
    'not_part_a_and_b' AS reason,
    'A month of Part A only or Part B only, or no month with both' AS description
  UNION ALL
  SELECT
    3 AS reason_order,
    'managed_care' AS reason,
    'A month in Medicare Advantage or another group health plan' AS description
  UNION ALL
  SELECT
    4 AS reason_order,
    'outside_us' AS reason,
    'A month living outside the United States' AS description
  UNION ALL
  SELECT
    5 AS reason_order,
    'other_initiative' AS reason,
    'A month aligned to another shared-savings initiative' AS description
  UNION ALL
  SELECT
    6 AS reason_order,
    'not_excluded' AS reason,
    'Eligible and not excluded: attributed' AS description
) AS pa_beneficiary_reasons
  ON TRUE
LEFT OUTER JOIN (
  SELECT
    pa_person_reasons.scope_id AS scope_id,
    pa_person_reasons.reason_order AS reason_order,
    COUNT(*) AS n
  FROM pa_person_reasons
  GROUP BY
    pa_person_reasons.scope_id,
    pa_person_reasons.reason_order
) AS pa_reason_counts
  ON pa_reason_counts.scope_id = pa_scopes.scope_id
  AND pa_reason_counts.reason_order = pa_beneficiary_reasons.reason_order;

DROP TABLE attribution.attribution_member_spans__work;

DROP TABLE attribution.attribution_eligible__work;

DROP TABLE attribution.attribution_checked__work;

DROP TABLE attribution.attribution_facts__work;

DROP TABLE attribution.attribution_metrics__work;
