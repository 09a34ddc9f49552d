/**
 * What a metric's name says about it: whether it is a proportion of items scored right (an
 * accuracy, for which chance level and binomial intervals make sense) and in which direction
 * it improves. Names are read after the writer's prefixes (`eval_`, `val/`, lm-eval's
 * `task/`) and suffixes (`_epoch`, `,flexible-extract`) are set aside.
 */

/** The metric part of a series name: lower-cased, without the task or split prefix and aggregation suffix. */
export function metricStem(name: string): string {
  const lower = name.toLowerCase();
  // lm-eval: `task/metric,filter`; other writers: `split/metric` or `split_metric`.
  const afterSlash = lower.slice(lower.lastIndexOf('/') + 1).split(',')[0]!;
  return afterSlash
    .replace(/^(eval|val|valid|validation|test|dev)[_.\-]/, '')
    .replace(/[_.\-](epoch|step|mean|avg)$/, '');
}

const WORDS = (stem: string) => stem.split(/[_.\-\s]+/).filter(Boolean);

/**
 * Accuracy of items (a proportion with a binomial count behind it): `acc`, `accuracy`,
 * `acc_norm`, `exact_match`, `em`. Not per-token or per-character accuracies, whose items
 * are not the evaluation examples, and not balanced/top-k variants, whose chance level differs.
 */
export function isItemAccuracy(name: string): boolean {
  const words = WORDS(metricStem(name));
  if (words.some((w) => /^(token|tokens|char|character|word|pixel|balanced|top\d+|top|bal|stderr)$/.test(w))) return false;
  if (words.some((w) => w === 'acc' || w === 'accuracy')) return true;
  return words.join('_') === 'exact_match' || words.join('_') === 'em';
}

const HIGHER_BETTER = /^(acc|accuracy|f1|f1_score|precision|recall|auc|auroc|roc_auc|ap|map|mcc|matthews_correlation|bleu|sacrebleu|chrf|rouge\w*|meteor|bertscore|exact_match|em|iou|miou|dice|r2|kappa|pct_correct|score|reward)$/;
const LOWER_BETTER = /^(loss|wer|cer|ter|error|err|error_rate|perplexity|ppl|mse|mae|rmse|nll|bpb|bits_per_byte|word_perplexity|byte_perplexity)$/;

/**
 * +1 when a higher value is better, −1 when lower is better, 0 when the name does not say.
 * The last word decides (`mean_token_accuracy` → accuracy, `epoch_perplexity` → perplexity).
 */
export function improvementDirection(name: string): 1 | -1 | 0 {
  const stem = metricStem(name);
  const words = WORDS(stem);
  const candidates = [stem.replace(/[.\-\s]+/g, '_'), words.at(-1) ?? '', words[0] ?? ''];
  for (const candidate of candidates) {
    if (LOWER_BETTER.test(candidate)) return -1;
    if (HIGHER_BETTER.test(candidate)) return 1;
  }
  return 0;
}
