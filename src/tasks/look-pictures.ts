// The pictures of /generate-text's looks inside: next-token bars, the same step
// at three temperatures, and the last layer's attention as heat maps.
import { barChartPng, groupedBarsPng, heatmapsPng, percent } from '../images/charts.js';
import type { Lang } from '../i18n/locale.js';
import { t } from '../i18n/messages.js';
import type { Looks } from './next-token.js';
import type { ResultImage } from './types.js';

const TEMP_COLORS = ['#1f4e8c', '#3a9d5d', '#e0781f'];
const num = (v: number, lang: Lang) => (lang === 'es' ? String(v).replace('.', ',') : String(v));

export async function probabilityPictures(looks: Looks, model: string, lang: Lang): Promise<ResultImage[]> {
  const steps = looks.steps.length;
  const groups = looks.steps.map((s, i) => {
    const bars = s.top.map((b) => ({ label: b.token, value: b.p, highlight: b.id === s.chosen.id }));
    // A sampled token outside the top 5 is still shown, so the chosen one is always on the chart.
    if (!s.top.some((b) => b.id === s.chosen.id))
      bars.push({ label: s.chosen.token, value: s.chosen.p, highlight: true });
    const rest = 1 - bars.reduce((a, b) => a + b.value, 0);
    bars.push({ label: t(lang, 'probs_rest'), value: Math.max(0, rest), highlight: false });
    return { heading: t(lang, 'probs_step', { step: i + 1, token: s.chosen.token }), bars };
  });
  const bars = await barChartPng(t(lang, 'probs_title', { model, steps }), groups, t(lang, 'probs_legend'), lang);
  const temps = looks.temperatures;
  const rows = temps[0]!.top.map((tok, i) => ({ label: tok.token, values: temps.map((x) => x.top[i]!.p) }));
  const grouped = await groupedBarsPng(
    t(lang, 'temps_title', { model }),
    temps.map((x, i) => ({ name: `T = ${num(x.temperature, lang)}`, color: TEMP_COLORS[i % TEMP_COLORS.length]! })),
    rows,
    t(lang, 'temps_legend'),
    lang,
  );
  return [
    { name: 'next-token-probabilities.png', mime: 'image/png', data: bars, alt: t(lang, 'probs_alt', { steps }) },
    { name: 'temperature.png', mime: 'image/png', data: grouped, alt: t(lang, 'temps_alt') },
  ];
}

/** One line for the text reply: step 1's likeliest token and how temperature changes its share. */
export function probabilitySummary(looks: Looks, lang: Lang): string {
  const [cold, , hot] = looks.temperatures;
  const first = looks.steps[0]!.top[0]!;
  return t(lang, 'probs_summary', {
    top: `${first.token} ${percent(first.p, lang)}`,
    cold: percent(cold!.top[0]!.p, lang),
    hot: percent(hot!.top[0]!.p, lang),
  });
}

export async function attentionPicture(
  attention: NonNullable<Looks['attention']>,
  model: string,
  lang: Lang,
): Promise<ResultImage> {
  const heads = attention.heads.length;
  const legend = [t(lang, 'attention_legend')];
  if (attention.totalTokens > attention.tokens.length)
    legend.push(t(lang, 'attention_truncated', { shown: attention.tokens.length, total: attention.totalTokens }));
  const png = await heatmapsPng(
    t(lang, 'attention_title', { model, layer: attention.layer + 1, heads }),
    attention.heads.map((matrix, h) => ({ heading: t(lang, 'attention_head', { head: h + 1 }), matrix })),
    attention.tokens,
    legend,
  );
  return {
    name: 'attention.png',
    mime: 'image/png',
    data: png,
    alt: t(lang, 'attention_alt', { heads, tokens: attention.tokens.length }),
  };
}
