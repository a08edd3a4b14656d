-- Leaderboard views over the claims DuckDB (db/schema.sql). One named view per leaderboard.
-- `claims publish` materializes each view as a table of the same name in the SQLite snapshot,
-- so Datasette serves precomputed rows (fast pages, deterministic ties).
--
-- Conventions
--   * Values are compared in pint base units when the build filled them (value_base/unit_base),
--     else in the unit as written; rows are only ranked against rows with the same compare unit.
--   * Every "pick one row" step orders by an explicit, total tie-break ending in claim_id,
--     so a rebuild of the same input gives the same leaderboard.
--   * Views are written CREATE OR REPLACE VIEW so the file can be (re)loaded on any build.

-- Best reported absolute value per metric, per system and hardware.
-- Only metrics with a direction (metrics.higher_is_better NOT NULL) are ranked.
-- Ties on the value: an exact number beats one with a qualifier ('up to', 'over', ...),
-- then the earlier sentence of the lower paper_id, then claim_id.
-- A claim without a system name is grouped per paper (system_key), so unnamed results
-- from different papers are not merged into one row.
CREATE OR REPLACE VIEW leaderboard_best AS
WITH candidates AS (
    SELECT
        c.*,
        m.higher_is_better,
        p.title,
        coalesce(c.unit_base, c.unit) AS compare_unit,
        CASE WHEN m.higher_is_better THEN coalesce(c.value_base, c.value)
             ELSE -coalesce(c.value_base, c.value) END AS score,
        coalesce(c.system, '#paper:' || c.paper_id) AS system_key
    FROM claims AS c
    JOIN metrics AS m ON m.metric = c.metric
    JOIN papers AS p ON p.paper_id = c.paper_id
    WHERE c.kind = 'absolute' AND m.higher_is_better IS NOT NULL
),
per_group AS (
    SELECT
        *,
        row_number() OVER w AS pick,
        count(*) OVER (PARTITION BY metric, system_key, hardware, compare_unit) AS n_reports
    FROM candidates
    WINDOW w AS (
        PARTITION BY metric, system_key, hardware, compare_unit
        ORDER BY score DESC, (qualifier IS NULL) DESC, paper_id, sentence_index, span_start, claim_id
    )
)
SELECT
    metric,
    hardware,
    system,
    value,
    value_high,
    unit,
    qualifier,
    CAST(rank() OVER (PARTITION BY metric, hardware, compare_unit ORDER BY score DESC) AS INTEGER) AS rank,
    CAST(n_reports AS INTEGER) AS n_reports,
    higher_is_better,
    hardware_count,
    model,
    mention,
    claim_id,
    paper_id,
    title,
    compare_unit,
    score
FROM per_group
WHERE pick = 1;

-- Speedups by hardware: ratio ('1.91x') and change ('40% lower') claims grouped by the
-- hardware they were measured on (NULL = not stated). One row per hardware: factors (unit x)
-- and percent changes (unit %) are summarized separately, since they do not compare; changes
-- in percentage points are counted in n_claims only. The top_* columns describe the claim with
-- the largest factor (else the largest percent change; ties: claim_id).
CREATE OR REPLACE VIEW leaderboard_speedups_by_hardware AS
SELECT
    c.hardware,
    CAST(count(*) AS INTEGER) AS n_claims,
    CAST(count(DISTINCT c.paper_id) AS INTEGER) AS n_papers,
    CAST(count(*) FILTER (WHERE c.direction = 'up') AS INTEGER) AS n_up,
    CAST(count(*) FILTER (WHERE c.direction = 'down') AS INTEGER) AS n_down,
    CAST(count(*) FILTER (WHERE c.kind = 'ratio' AND c.unit = 'x') AS INTEGER) AS n_factors,
    median(c.value) FILTER (WHERE c.kind = 'ratio' AND c.unit = 'x') AS median_factor,
    max(c.value) FILTER (WHERE c.kind = 'ratio' AND c.unit = 'x') AS max_factor,
    CAST(count(*) FILTER (WHERE c.kind = 'change' AND c.unit = '%') AS INTEGER) AS n_percent_changes,
    median(c.value) FILTER (WHERE c.kind = 'change' AND c.unit = '%') AS median_percent_change,
    max(c.value) FILTER (WHERE c.kind = 'change' AND c.unit = '%') AS max_percent_change,
    first(c.system ORDER BY (c.kind = 'ratio' AND c.unit = 'x') DESC, c.value DESC, c.claim_id) AS top_system,
    first(c.metric ORDER BY (c.kind = 'ratio' AND c.unit = 'x') DESC, c.value DESC, c.claim_id) AS top_metric,
    first(c.claim_id ORDER BY (c.kind = 'ratio' AND c.unit = 'x') DESC, c.value DESC, c.claim_id) AS top_claim_id,
    first(c.paper_id ORDER BY (c.kind = 'ratio' AND c.unit = 'x') DESC, c.value DESC, c.claim_id) AS top_paper_id
FROM claims AS c
WHERE c.kind IN ('ratio', 'change')
GROUP BY c.hardware;

-- Head-to-head: ratio/change claims that name a baseline. The baseline is canonicalized
-- through the `baselines` table (alias -> canonical): an exact alias match wins, else the
-- longest alias found as a whole word inside the baseline text ('state-of-the-art vLLM'
-- -> vLLM); unmatched baselines keep their text without a leading article.
CREATE OR REPLACE VIEW leaderboard_head_to_head AS
WITH compared AS (
    SELECT c.*, lower(trim(c.baseline)) AS baseline_key
    FROM claims AS c
    WHERE c.kind IN ('ratio', 'change') AND c.baseline IS NOT NULL AND trim(c.baseline) <> ''
),
-- match each distinct baseline text once (aliases x distinct texts, not aliases x claims)
alias_hits AS (
    SELECT
        k.baseline_key,
        b.canonical,
        row_number() OVER (
            PARTITION BY k.baseline_key
            ORDER BY (b.alias = k.baseline_key) DESC, length(b.alias) DESC, b.alias
        ) AS pick
    FROM (SELECT DISTINCT baseline_key FROM compared) AS k
    JOIN baselines AS b
      ON b.alias = k.baseline_key
      OR (contains(k.baseline_key, b.alias)
          AND regexp_matches(k.baseline_key,
                             '(^|[^a-z0-9])' || regexp_escape(b.alias) || '($|[^a-z0-9])'))
)
SELECT
    x.system,
    coalesce(h.canonical, regexp_replace(trim(x.baseline), '^(the|a|an)\s+', '', 'i')) AS baseline_canonical,
    x.baseline,
    x.metric,
    x.kind,
    x.value AS factor,
    x.value_high AS factor_high,
    x.unit,
    x.direction,
    x.qualifier,
    x.hardware,
    x.mention,
    x.claim_id,
    x.paper_id,
    p.title
FROM compared AS x
JOIN papers AS p ON p.paper_id = x.paper_id
LEFT JOIN alias_hits AS h ON h.baseline_key = x.baseline_key AND h.pick = 1;

-- Scale per paper: the largest hardware count, model size (parameters), token count and
-- context length each paper states, with the claim behind each maximum (ties: claim_id).
CREATE OR REPLACE VIEW leaderboard_scale AS
WITH s AS (
    SELECT c.* FROM claims AS c WHERE c.kind = 'scale'
)
SELECT
    s.paper_id,
    p.title,
    CAST(max(s.value) FILTER (WHERE s.metric = 'hardware_count') AS BIGINT) AS max_hardware_count,
    first(s.hardware ORDER BY s.value DESC, s.claim_id) FILTER (WHERE s.metric = 'hardware_count') AS hardware,
    first(hw.category ORDER BY s.value DESC, s.claim_id) FILTER (WHERE s.metric = 'hardware_count') AS hardware_category,
    first(s.claim_id ORDER BY s.value DESC, s.claim_id) FILTER (WHERE s.metric = 'hardware_count') AS hardware_count_claim_id,
    CAST(max(s.value) FILTER (WHERE s.metric = 'cluster_size') AS BIGINT) AS max_cluster_size,
    max(s.value) FILTER (WHERE s.metric = 'model_size' AND s.unit = 'parameters') AS max_model_parameters,
    first(s.claim_id ORDER BY s.value DESC, s.claim_id) FILTER (WHERE s.metric = 'model_size' AND s.unit = 'parameters') AS model_size_claim_id,
    max(s.value) FILTER (WHERE s.metric = 'data_size' AND s.unit = 'tokens') AS max_tokens,
    first(s.claim_id ORDER BY s.value DESC, s.claim_id) FILTER (WHERE s.metric = 'data_size' AND s.unit = 'tokens') AS tokens_claim_id,
    max(s.value) FILTER (WHERE s.metric = 'context_length') AS max_context_length,
    CAST(count(*) AS INTEGER) AS n_scale_claims
FROM s
JOIN papers AS p ON p.paper_id = s.paper_id
LEFT JOIN hardware AS hw ON hw.hardware = s.hardware
GROUP BY s.paper_id, p.title;

-- Chart data: how many speedup factors (ratio claims in x) fall in each bucket, per metric and
-- hardware. Small enough for the dashboard to aggregate on every request.
CREATE OR REPLACE VIEW chart_speedup_distribution AS
WITH b AS (
    SELECT hardware, metric,
        CASE WHEN value < 1.5 THEN 1 WHEN value < 2 THEN 2 WHEN value < 3 THEN 3
             WHEN value < 5 THEN 4 WHEN value < 10 THEN 5 ELSE 6 END AS bucket_order
    FROM claims
    WHERE kind = 'ratio' AND unit = 'x' AND metric IS NOT NULL
)
SELECT
    hardware,
    metric,
    ['1 - 1.5x', '1.5 - 2x', '2 - 3x', '3 - 5x', '5 - 10x', '10x +'][bucket_order] AS factor_bucket,
    CAST(bucket_order AS INTEGER) AS bucket_order,
    CAST(count(*) AS INTEGER) AS claims
FROM b
GROUP BY hardware, metric, bucket_order;

-- Physics checks (issue 15): every flagged claim, impossible first, with the arithmetic in words
-- and the sentence it comes from.
CREATE OR REPLACE VIEW physics_checks AS
SELECT
    CAST(CASE k.severity WHEN 'impossible' THEN 1 WHEN 'unusual' THEN 2 ELSE 3 END AS INTEGER) AS severity_order,
    k.severity,
    k.check_id,
    k.explanation,
    round(k.implied_utilization, 4) AS implied_utilization,
    k.claim_id,
    c.mention,
    c.metric,
    c.value,
    c.unit,
    c.hardware,
    c.hardware_count,
    s.text AS sentence,
    c.paper_id,
    p.title,
    k.figures
FROM checks AS k
JOIN claims AS c ON c.claim_id = k.claim_id
JOIN papers AS p ON p.paper_id = c.paper_id
JOIN sentences AS s ON s.paper_id = c.paper_id AND s.sentence_index = c.sentence_index;

-- One row per checked claim, for leaderboards to join on claim_id: `marks` lists the flags
-- ('impossible: check.flops_above_peak; unusual: ...'; NULL when only info rows), and
-- implied_utilization the fraction of the dense peak a check computed for the claim.
CREATE OR REPLACE VIEW claim_marks AS
SELECT
    claim_id,
    string_agg(CASE WHEN severity <> 'info' THEN severity || ': ' || check_id END, '; '
               ORDER BY CASE severity WHEN 'impossible' THEN 1 ELSE 2 END, check_id) AS marks,
    round(max(implied_utilization), 4) AS implied_utilization
FROM checks
GROUP BY claim_id;
