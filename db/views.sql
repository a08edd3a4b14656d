-- Leaderboard, entity and chart views over the claims DuckDB (db/schema.sql). One named view per
-- table of the site: `claims publish` materializes each view as a table of the same name in the
-- SQLite snapshot, so Datasette serves precomputed rows (fast pages, deterministic ties).
--
-- Conventions
--   * Leaderboards read only gated claims: `excluded_by IS NULL` (rules/gate.yml; the claims table
--     keeps every claim and says which rule kept it off the boards).
--   * Values are compared in pint base units when the build filled them (value_base/unit_base),
--     else in the unit as written; one ranking never mixes units (compare_unit is part of its key).
--   * "Best" of a range (59% to 72%) is its best end: the high end when higher is better.
--   * Every "pick one row" step orders by an explicit, total tie-break ending in claim_id,
--     so a rebuild of the same input gives the same leaderboard.
--   * `result` columns show the value as people write it (4.3×, 72%, 175B, 12,288, 225 TFLOP/s);
--     the numbers stay in their own columns for sorting and the JSON/CSV exports.
--   * Views and macros are written CREATE OR REPLACE so the file can be (re)loaded on any build;
--     `claims publish` turns the macros into TEMP macros (the DuckDB file is read-only there).

-- A number without float noise: 8300000000.000001 -> 8.3B (with suffix), 12288 -> 12,288, 1.340 -> 1.34.
CREATE OR REPLACE MACRO claims_fmt_number(v) AS
    CASE WHEN v IS NULL THEN NULL
         WHEN abs(v) >= 1000 AND abs(v - round(v)) < 1e-6 AND abs(v) < 1e15 THEN format('{:,}', CAST(round(v) AS BIGINT))
         WHEN abs(v) >= 1e6 OR abs(v) < 1e-3 AND v <> 0 THEN format('{:.6g}', CAST(v AS DOUBLE))
         ELSE regexp_replace(regexp_replace(format('{:,.4f}', round(CAST(v AS DOUBLE), 4)), '0+$', ''), '\.$', '')
    END;

-- A count of things with a magnitude suffix, as papers write model and data sizes: 175B, 1.4T, 7M.
CREATE OR REPLACE MACRO claims_fmt_magnitude(v) AS
    CASE WHEN v IS NULL THEN NULL
         WHEN abs(v) >= 1e12 THEN claims_fmt_number(round(v / 1e12, 3)) || 'T'
         WHEN abs(v) >= 1e9 THEN claims_fmt_number(round(v / 1e9, 3)) || 'B'
         WHEN abs(v) >= 1e6 THEN claims_fmt_number(round(v / 1e6, 3)) || 'M'
         ELSE claims_fmt_number(v)
    END;

-- One value in its unit: x -> ×, % and pp glued, counts with suffixes, others with a space.
CREATE OR REPLACE MACRO claims_fmt_in_unit(v, unit) AS
    CASE WHEN unit = 'x' THEN claims_fmt_number(v) || '×'
         WHEN unit = '%' THEN claims_fmt_number(v) || '%'
         WHEN unit = 'pp' THEN claims_fmt_number(v) || ' pp'
         WHEN unit IN ('parameters', 'tokens', 'samples', 'FLOP') THEN claims_fmt_magnitude(v) || CASE WHEN unit = 'parameters' THEN '' ELSE ' ' || unit END
         WHEN unit = 'dimensionless' THEN claims_fmt_number(v)
         WHEN unit IN ('GPU', 'TPU', 'CPU', 'NPU', 'node', 'accelerator', 'device', 'core') THEN claims_fmt_number(v) || ' ' || unit || CASE WHEN v <> 1 THEN 's' ELSE '' END
         ELSE claims_fmt_number(v) || ' ' || unit
    END;

-- The value as people write it, with its range and qualifier: 'up to 2.5×', '59–72%', '175B'.
CREATE OR REPLACE MACRO claims_fmt_value(v, v_high, unit, qualifier) AS
    coalesce(qualifier || ' ', '') ||
    CASE WHEN v_high IS NULL OR v_high = v THEN claims_fmt_in_unit(v, unit)
         WHEN unit IN ('x', '%') THEN claims_fmt_number(v) || '–' || claims_fmt_in_unit(v_high, unit)
         ELSE claims_fmt_in_unit(v, unit) || ' – ' || claims_fmt_in_unit(v_high, unit)
    END;

-- Hardware with its count as people write it: '12,288 × GPU', 'H100', NULL when neither is known.
CREATE OR REPLACE MACRO claims_fmt_setup(hardware, hardware_count) AS
    CASE WHEN hardware_count IS NOT NULL AND hardware IS NOT NULL
              THEN claims_fmt_number(hardware_count) || ' × ' || hardware
         WHEN hardware IS NOT NULL THEN hardware
         WHEN hardware_count IS NOT NULL THEN claims_fmt_number(hardware_count) || ' devices'
    END;

-- Year of a paper: from its date as written (2024-01-02, Sep 17, 2019), else from an arXiv id in
-- its URL (2401.01234 -> 2024).
CREATE OR REPLACE MACRO claims_paper_year(published, url) AS
    coalesce(
        CAST(nullif(regexp_extract(coalesce(published, ''), '\b(19[5-9][0-9]|20[0-9][0-9])\b', 1), '') AS INTEGER),
        CAST(nullif(regexp_extract(coalesce(url, ''), 'arxiv\.org/(?:abs|pdf)/([0-9]{2})[01][0-9]\.[0-9]{4,5}', 1), '') AS INTEGER) + 2000);

-- Per paper: year and the links a reader wants. url: the source's, else a title search on arXiv.
CREATE OR REPLACE VIEW paper_links AS
SELECT
    p.paper_id,
    coalesce(nullif(trim(p.url), ''),
             'https://arxiv.org/search/?searchtype=title&query=' || url_encode(p.title)) AS url,
    (nullif(trim(p.url), '') IS NULL) AS url_is_search,
    claims_paper_year(p.published, p.url) AS year
FROM papers AS p;

-- Entities. Systems: every name a claim is about, canonical through the baselines vocabulary
-- (an exact alias, case-insensitive: 'Megatron' -> Megatron-LM, 'vllm' -> vLLM), else as written;
-- aliases are the spellings seen. Figures from all claims; wins and losses from the head-to-head board.
CREATE OR REPLACE VIEW system_names AS
SELECT DISTINCT c.system AS written, coalesce(b.canonical, c.system) AS system
FROM claims AS c
LEFT JOIN baselines AS b ON b.alias = lower(c.system)
     -- a product variant named after its family keeps its name: DeepSpeed-FastGen, ZeRO-Infinity
     AND NOT (starts_with(lower(c.system), lower(b.canonical)) AND length(c.system) > length(b.canonical))
WHERE c.system IS NOT NULL;

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

-- One row per checked claim, for leaderboards to join on claim_id: `marks` lists the flags as a
-- reader reads them ('impossible: 1.6× the A100 dense BF16 peak; unusual: ...', the check's
-- figures.mark, else its id; NULL when only info rows), and implied_utilization the fraction of
-- the dense peak a check computed for the claim.
CREATE OR REPLACE VIEW claim_marks AS
SELECT
    claim_id,
    string_agg(CASE WHEN severity <> 'info'
                    THEN severity || ': ' || coalesce(json_extract_string(figures, '$.mark'), check_id) END, '; '
               ORDER BY CASE severity WHEN 'impossible' THEN 1 ELSE 2 END, check_id) AS marks,
    round(max(implied_utilization), 4) AS implied_utilization
FROM checks
GROUP BY claim_id;

-- The gated claims the leaderboards rank, with the fields they show.
CREATE OR REPLACE VIEW board_claims AS
SELECT
    c.* REPLACE (coalesce(n.system, c.system) AS system),
    claims_fmt_value(c.value, c.value_high, c.unit, c.qualifier) AS result,
    claims_fmt_setup(c.hardware, c.hardware_count) AS setup,
    (SELECT string_agg(b.baseline, ', ' ORDER BY b.position) FROM claim_baselines AS b
      WHERE b.claim_id = c.claim_id) AS baselines,
    k.marks,                                  -- physics checks (rules/checks.yml), issue 15
    coalesce(k.marks LIKE 'impossible%', FALSE) AS impossible
FROM claims AS c
LEFT JOIN system_names AS n ON n.written = c.system
LEFT JOIN claim_marks AS k ON k.claim_id = c.claim_id
WHERE c.excluded_by IS NULL;

-- Best reported absolute value per metric and system (and hardware), respecting whether higher is
-- better; a range counts with its best end. A claim a physics check finds impossible
-- (claim_marks, rules/checks.yml: MFU above 100%, FLOP/s past the peak) is shown with its marks
-- and ranked after the others. One ranking per metric and compare unit (`board`):
-- rank 1..n over the systems of that board, hardware_rank within the same hardware.
-- Ties on the value: an exact number beats one with a qualifier ('up to', 'over', ...), then the
-- earlier sentence of the lower paper_id, then claim_id. Claims without a system are gated out.
CREATE OR REPLACE VIEW leaderboard_best AS
WITH candidates AS (
    SELECT
        c.*,
        m.higher_is_better,
        p.title,
        coalesce(c.unit_base, c.unit) AS compare_unit,
        CASE WHEN m.higher_is_better
             THEN coalesce(c.value_base * (coalesce(c.value_high, c.value) / c.value), coalesce(c.value_high, c.value))
             ELSE -coalesce(c.value_base, c.value) END AS score
    FROM board_claims AS c
    JOIN metrics AS m ON m.metric = c.metric
    JOIN papers AS p ON p.paper_id = c.paper_id
    WHERE c.kind = 'absolute' AND m.higher_is_better IS NOT NULL AND c.system IS NOT NULL AND c.value <> 0
),
per_group AS (
    SELECT
        *,
        row_number() OVER w AS pick,
        count(*) OVER (PARTITION BY metric, system, hardware, compare_unit) AS n_reports
    FROM candidates
    WINDOW w AS (
        PARTITION BY metric, system, hardware, compare_unit
        ORDER BY impossible, score DESC, (qualifier IS NULL) DESC, paper_id, sentence_index, span_start, claim_id
    )
),
picked AS (SELECT * FROM per_group WHERE pick = 1)
SELECT
    metric || ' (' || CASE WHEN compare_unit = 'dimensionless' THEN 'score' ELSE unit END || ')' AS board,
    CAST(row_number() OVER (PARTITION BY metric, compare_unit
                            ORDER BY impossible, score DESC, (qualifier IS NULL) DESC, paper_id, claim_id) AS INTEGER) AS rank,
    system,
    result,
    setup,
    baselines AS baseline,
    marks,
    paper_id,
    l.year,
    l.url AS paper_url,
    claim_id,
    metric,
    hardware,
    hardware_count,
    value,
    value_high,
    unit,
    qualifier,
    CAST(rank() OVER (PARTITION BY metric, hardware, compare_unit ORDER BY impossible, score DESC) AS INTEGER) AS hardware_rank,
    CAST(n_reports AS INTEGER) AS n_reports,
    higher_is_better,
    model,
    mention,
    title,
    compare_unit,
    score
FROM picked
JOIN paper_links AS l USING (paper_id);

-- Speedup factors (ratio claims in x) of named systems, largest first. A factor above a flag's
-- min_value (rules/gate.yml `flags`, table gate_flags: over 1,000x) stays on the board, marked,
-- and is ranked after every unmarked factor. direction: up = more of the metric, down = less.
CREATE OR REPLACE VIEW leaderboard_speedups AS
WITH f AS (
    SELECT
        c.*,
        coalesce(c.value_high, c.value) AS best_factor,
        (SELECT min(g.label) FROM gate_flags AS g
          WHERE (g.kind IS NULL OR g.kind = c.kind) AND (g.unit IS NULL OR g.unit = c.unit)
            AND coalesce(c.value_high, c.value) > g.min_value) AS flag
    FROM board_claims AS c
    WHERE c.kind = 'ratio' AND c.unit = 'x' AND c.system IS NOT NULL
)
SELECT
    CAST(row_number() OVER (ORDER BY (f.flag IS NOT NULL OR f.impossible), f.best_factor DESC, f.paper_id, f.claim_id) AS INTEGER) AS rank,
    f.system,
    f.result,
    f.metric,
    f.direction,
    f.baselines AS baseline,
    f.setup,
    f.flag,
    f.marks,
    f.paper_id,
    l.year,
    l.url AS paper_url,
    f.claim_id,
    f.best_factor AS factor,
    f.value,
    f.value_high,
    f.hardware,
    f.hardware_count,
    f.qualifier,
    f.baseline AS baseline_phrase,
    f.mention
FROM f
JOIN paper_links AS l USING (paper_id);

-- Speedups by hardware: gated ratio ('1.91x') and change ('40% lower') claims grouped by the
-- hardware they were measured on (NULL = not stated). One row per hardware: factors (unit x)
-- and percent changes (unit %) are summarized separately, since they do not compare; changes
-- in percentage points are counted in n_claims only. Flagged factors (gate_flags) are counted
-- but left out of the median, the maximum and the top_* columns (the largest unflagged factor,
-- else the largest percent change; ties: claim_id).
CREATE OR REPLACE VIEW leaderboard_speedups_by_hardware AS
WITH c AS (
    SELECT b.*,
           (b.kind = 'ratio' AND b.unit = 'x' AND NOT EXISTS (
               SELECT 1 FROM gate_flags AS g
               WHERE (g.kind IS NULL OR g.kind = b.kind) AND (g.unit IS NULL OR g.unit = b.unit)
                 AND coalesce(b.value_high, b.value) > g.min_value)) AS is_factor,
           (b.kind = 'ratio' AND b.unit = 'x') AS any_factor
    FROM board_claims AS b
    WHERE b.kind IN ('ratio', 'change')
)
SELECT
    c.hardware,
    CAST(count(*) AS INTEGER) AS n_claims,
    CAST(count(DISTINCT c.paper_id) AS INTEGER) AS n_papers,
    CAST(count(*) FILTER (WHERE c.direction = 'up') AS INTEGER) AS n_up,
    CAST(count(*) FILTER (WHERE c.direction = 'down') AS INTEGER) AS n_down,
    CAST(count(*) FILTER (WHERE c.any_factor) AS INTEGER) AS n_factors,
    CAST(count(*) FILTER (WHERE c.any_factor AND NOT c.is_factor) AS INTEGER) AS n_flagged,
    median(c.value) FILTER (WHERE c.is_factor) AS median_factor,
    max(c.value) FILTER (WHERE c.is_factor) AS max_factor,
    CAST(count(*) FILTER (WHERE c.kind = 'change' AND c.unit = '%') AS INTEGER) AS n_percent_changes,
    median(c.value) FILTER (WHERE c.kind = 'change' AND c.unit = '%') AS median_percent_change,
    max(c.value) FILTER (WHERE c.kind = 'change' AND c.unit = '%') AS max_percent_change,
    first(c.system ORDER BY c.is_factor DESC, (c.kind = 'change' AND c.unit = '%') DESC, c.value DESC, c.claim_id) AS top_system,
    first(c.metric ORDER BY c.is_factor DESC, (c.kind = 'change' AND c.unit = '%') DESC, c.value DESC, c.claim_id) AS top_metric,
    first(c.claim_id ORDER BY c.is_factor DESC, (c.kind = 'change' AND c.unit = '%') DESC, c.value DESC, c.claim_id) AS top_claim_id,
    first(c.paper_id ORDER BY c.is_factor DESC, (c.kind = 'change' AND c.unit = '%') DESC, c.value DESC, c.claim_id) AS top_paper_id
FROM c
GROUP BY c.hardware;

-- Head-to-head: gated ratio/change claims that name a baseline, one row per (claim, baseline):
-- "HuggingFace PEFT and vLLM" gives a PEFT row and a vLLM row (claim_baselines, filled from
-- rules/baselines.yml). A phrase that names no baseline ("state-of-the-art serving systems")
-- keeps one row with the phrase, without a leading article, as its baseline. named_baseline:
-- the baseline is a canonical name of the vocabulary (rules/baselines.yml).
CREATE OR REPLACE VIEW leaderboard_head_to_head AS
SELECT
    x.system,
    coalesce(b.baseline, regexp_replace(trim(x.baseline), '^(the|a|an)\s+', '', 'i')) AS baseline_canonical,
    x.result,
    x.metric,
    x.direction,
    x.setup,
    x.paper_id,
    l.year,
    x.claim_id,
    x.baseline,
    x.kind,
    x.value AS factor,
    x.value_high AS factor_high,
    x.unit,
    x.qualifier,
    x.hardware,
    x.mention,
    p.title,
    coalesce(b.baseline IN (SELECT v.canonical FROM baselines AS v), FALSE) AS named_baseline
FROM board_claims AS x
JOIN papers AS p ON p.paper_id = x.paper_id
JOIN paper_links AS l ON l.paper_id = x.paper_id
LEFT JOIN claim_baselines AS b ON b.claim_id = x.claim_id
WHERE x.kind IN ('ratio', 'change') AND x.baseline IS NOT NULL AND trim(x.baseline) <> ''
  AND (b.baseline IS NOT NULL OR NOT EXISTS (SELECT 1 FROM claim_baselines AS o WHERE o.claim_id = x.claim_id));

-- Scale per paper: the largest hardware count, model size (parameters), token count and
-- context length each paper states (gated claims), with the claim behind each maximum (ties: claim_id).
CREATE OR REPLACE VIEW leaderboard_scale AS
WITH s AS (
    SELECT c.* FROM claims AS c WHERE c.kind = 'scale' AND c.excluded_by IS NULL
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

-- Systems as entities: figures from all their claims; wins and losses from the head-to-head
-- board (whose systems are canonical already).
CREATE OR REPLACE VIEW entity_systems AS
WITH named AS (
    SELECT n.system, c.* EXCLUDE (system)
    FROM claims AS c JOIN system_names AS n ON n.written = c.system
),
h AS (SELECT h.*, h.system AS canonical FROM leaderboard_head_to_head AS h WHERE h.system IS NOT NULL)
SELECT
    named.system,
    CAST(count(*) AS INTEGER) AS n_claims,
    CAST(count(*) FILTER (WHERE excluded_by IS NULL) AS INTEGER) AS n_on_boards,
    CAST(count(DISTINCT paper_id) AS INTEGER) AS n_papers,
    (SELECT string_agg(DISTINCT h.baseline_canonical, ', ' ORDER BY h.baseline_canonical) FROM h
      WHERE h.canonical = named.system AND h.named_baseline) AS beats,
    (SELECT string_agg(DISTINCT h.canonical, ', ' ORDER BY h.canonical) FROM h
      WHERE h.baseline_canonical = named.system) AS beaten_by,
    string_agg(DISTINCT hardware, ', ' ORDER BY hardware) AS hardware,
    (SELECT string_agg(DISTINCT n.written, ', ' ORDER BY n.written) FROM system_names AS n
      WHERE n.system = named.system) AS aliases
FROM named
GROUP BY named.system;

-- Baselines: every baseline of the head-to-head board (named: a canonical name of
-- rules/baselines.yml, else the phrase as written), with the systems that claim to beat it and
-- the spellings seen.
CREATE OR REPLACE VIEW entity_baselines AS
SELECT
    h.baseline_canonical AS baseline,
    bool_or(h.named_baseline) AS named,
    CAST(count(*) AS INTEGER) AS n_claims,
    CAST(count(DISTINCT h.system) AS INTEGER) AS n_systems,
    CAST(count(DISTINCT h.paper_id) AS INTEGER) AS n_papers,
    string_agg(DISTINCT h.system, ', ' ORDER BY h.system) AS beaten_by,
    max(h.factor) FILTER (WHERE h.unit = 'x' AND h.kind = 'ratio' AND h.factor <= 1000) AS best_factor,
    (SELECT string_agg(DISTINCT b.mention, ', ' ORDER BY b.mention) FROM claim_baselines AS b
      WHERE b.baseline = h.baseline_canonical) AS aliases
FROM leaderboard_head_to_head AS h
GROUP BY h.baseline_canonical;

-- Hardware: the vocabulary with how much the corpus says about each.
CREATE OR REPLACE VIEW entity_hardware AS
SELECT
    hw.hardware,
    hw.category,
    hw.vendor,
    CAST(count(c.claim_id) AS INTEGER) AS n_claims,
    CAST(count(c.claim_id) FILTER (WHERE c.excluded_by IS NULL) AS INTEGER) AS n_on_boards,
    CAST(count(DISTINCT c.paper_id) AS INTEGER) AS n_papers,
    CAST(max(c.hardware_count) AS BIGINT) AS max_count,
    string_agg(DISTINCT c.system, ', ' ORDER BY c.system) FILTER (WHERE c.excluded_by IS NULL) AS systems
FROM hardware AS hw
LEFT JOIN claims AS c ON c.hardware = hw.hardware
GROUP BY hw.hardware, hw.category, hw.vendor;

-- Chart data: how many gated speedup factors (ratio claims in x) fall in each bucket, per metric and
-- hardware. Small enough for the dashboard to aggregate on every request.
CREATE OR REPLACE VIEW chart_speedup_distribution AS
WITH b AS (
    SELECT hardware, metric,
        CASE WHEN value < 1.5 THEN 1 WHEN value < 2 THEN 2 WHEN value < 3 THEN 3
             WHEN value < 5 THEN 4 WHEN value < 10 THEN 5 ELSE 6 END AS bucket_order
    FROM claims
    WHERE kind = 'ratio' AND unit = 'x' AND metric IS NOT NULL AND excluded_by IS NULL
)
SELECT
    hardware,
    metric,
    ['1 - 1.5x', '1.5 - 2x', '2 - 3x', '3 - 5x', '5 - 10x', '10x +'][bucket_order] AS factor_bucket,
    CAST(bucket_order AS INTEGER) AS bucket_order,
    CAST(count(*) AS INTEGER) AS claims
FROM b
GROUP BY hardware, metric, bucket_order;

-- Dashboard data (datasette-metadata.yml, plugins: datasette-dashboards): each chart reads one of
-- these small tables, filtered by hardware when the dashboard's filter is set, instead of
-- scanning a leaderboard on every request (at 6M claims a scan of leaderboard_head_to_head takes
-- longer than the page budget). Best value in % per year, metric and hardware:
CREATE OR REPLACE VIEW chart_best_by_year AS
SELECT hardware, year, metric, max(coalesce(value_high, value)) AS best
FROM leaderboard_best
WHERE unit = '%' AND higher_is_better AND year IS NOT NULL
GROUP BY hardware, year, metric;

-- MFU and utilization rows of the leaderboard, labelled with system, hardware × count and metric:
-- the 30 highest per hardware (NULL: not stated), so the unfiltered chart's top 30 are among them.
CREATE OR REPLACE VIEW chart_utilization AS
SELECT hardware, label, metric, percent, result
FROM (
    SELECT hardware,
           system || ' — ' || coalesce(setup, 'hardware not stated') || ' (' || metric || ')' AS label,
           metric, coalesce(value_high, value) AS percent, result,
           row_number() OVER (PARTITION BY hardware ORDER BY coalesce(value_high, value) DESC, system, claim_id) AS k
    FROM leaderboard_best
    WHERE metric IN ('mfu', 'utilization') AND unit = '%'
)
WHERE k <= 30;

-- Speedup factors (x, flagged ones over 1,000x left out) against named baselines: how many per
-- hardware and baseline (the chart shows the 12 most compared), and up to 20 points per hardware
-- and baseline, picked by claim_id (a hash: a sample that keeps the spread of the factors).
CREATE OR REPLACE VIEW chart_baseline_counts AS
SELECT hardware, baseline_canonical AS baseline, CAST(count(*) AS INTEGER) AS n
FROM leaderboard_head_to_head
WHERE named_baseline AND unit = 'x' AND factor <= 1000
GROUP BY hardware, baseline_canonical;

CREATE OR REPLACE VIEW chart_speedup_points AS
SELECT hardware, baseline, system, factor, result
FROM (
    SELECT hardware, baseline_canonical AS baseline, system, coalesce(factor_high, factor) AS factor, result,
           row_number() OVER (PARTITION BY hardware, baseline_canonical ORDER BY claim_id) AS k
    FROM leaderboard_head_to_head
    WHERE named_baseline AND unit = 'x' AND factor <= 1000
)
WHERE k <= 20;
