-- The accuracy metrics of diffpure-spark as Spark SQL views over the view `samples`,
-- generated from their one definition (diffpure.eval.Metric) by
-- diffpure.jobs.report.MetricViews; `diffpure sql`, the report and
-- notebooks/diffpure_session.py register exactly these statements
-- (MetricViewsTest checks this file and that all give equal numbers).
-- Older samples tables lack some columns: where `samples` has no such column,
-- replace the word by CAST(NULL AS type) in the statements.
-- later-column: clean_logit_correct BOOLEAN
-- later-column: adversarial_logit_correct BOOLEAN

CREATE OR REPLACE TEMP VIEW sample_outcomes AS
SELECT run_id, dataset, attack, norm, eps, purifier, t_star, steps, classifier, score_model, votes, sample_id, label, error IS NULL AS ok,
       IF(error IS NULL, CAST(clean_votes[0] = label AS DOUBLE), NULL) AS clean_single,
       IF(error IS NULL, CAST(clean_correct * 2 > votes AS DOUBLE), NULL) AS clean_majority,
       IF(error IS NULL, CAST(clean_correct AS DOUBLE) / votes, NULL) AS clean_mean,
       IF(error IS NULL, CAST(clean_correct = votes AS DOUBLE), NULL) AS clean_worst,
       IF(error IS NULL, CAST(clean_during_fooled = 0 AS DOUBLE), NULL) AS clean_during_attack,
       IF(error IS NULL, CAST(clean_logit_correct AS DOUBLE), NULL) AS clean_averaged_logit,
       IF(error IS NULL, CAST(adversarial_votes[0] = label AS DOUBLE), NULL) AS robust_single,
       IF(error IS NULL, CAST(adversarial_correct * 2 > votes AS DOUBLE), NULL) AS robust_majority,
       IF(error IS NULL, CAST(adversarial_correct AS DOUBLE) / votes, NULL) AS robust_mean,
       IF(error IS NULL, CAST(adversarial_correct = votes AS DOUBLE), NULL) AS robust_worst,
       IF(error IS NULL, CAST(during_attack_fooled = 0 AS DOUBLE), NULL) AS robust_during_attack,
       IF(error IS NULL, CAST(adversarial_correct > 0 AS DOUBLE), NULL) AS robust_any,
       IF(error IS NULL, CAST(adversarial_logit_correct AS DOUBLE), NULL) AS robust_averaged_logit
FROM samples;

CREATE OR REPLACE TEMP VIEW accuracy AS
SELECT run_id, dataset, attack, norm, eps, purifier, t_star, steps, classifier, score_model, votes, side, metric,
       coalesce(sum(value), 0D) AS successes, count(value) AS samples, avg(value) AS accuracy
FROM sample_outcomes
LATERAL VIEW stack(13,
    'clean', 'single', clean_single,
    'clean', 'majority', clean_majority,
    'clean', 'mean', clean_mean,
    'clean', 'worst', clean_worst,
    'clean', 'during-attack', clean_during_attack,
    'clean', 'averaged-logit', clean_averaged_logit,
    'robust', 'single', robust_single,
    'robust', 'majority', robust_majority,
    'robust', 'mean', robust_mean,
    'robust', 'worst', robust_worst,
    'robust', 'during-attack', robust_during_attack,
    'robust', 'any', robust_any,
    'robust', 'averaged-logit', robust_averaged_logit) s AS side, metric, value
GROUP BY run_id, dataset, attack, norm, eps, purifier, t_star, steps, classifier, score_model, votes, side, metric;
