import { SinapsisError } from '../errors.js';
import { detectEsEn, detectLanguage } from '../i18n/detect.js';
import { t } from '../i18n/messages.js';
import type { Task } from './types.js';

/** Sentences small enough for the model, translated this many at a time. */
const BATCH = 8;

/** Paragraphs, then sentences (Intl.Segmenter), keeping where each paragraph ends. */
export function splitSentences(text: string, lang: string): { sentence: string; endsParagraph: boolean }[] {
  const segmenter = new Intl.Segmenter(lang, { granularity: 'sentence' });
  return text
    .split(/\n\s*\n|\n/)
    .map((p) => p.trim())
    .filter(Boolean)
    .flatMap((paragraph) => {
      const parts = [...segmenter.segment(paragraph)].map((s) => s.segment.trim()).filter(Boolean);
      return parts.map((sentence, i) => ({ sentence, endsParagraph: i === parts.length - 1 }));
    });
}

/** "Spanish"/"español" for "es", in the reply language; the code itself when Intl does not know it. */
function languageName(code: string, lang: string): string {
  try {
    return new Intl.DisplayNames([lang], { type: 'language' }).of(code) ?? code;
  } catch {
    return code;
  }
}

function joinPieces(pieces: { endsParagraph: boolean }[], out: string[]): string {
  return pieces
    .map((p, i) => out[i] + (p.endsParagraph ? '\n' : ' '))
    .join('')
    .trim();
}

/** Texts this short are decided between Spanish and English first (statistics alone call "hola mundo" Zulu). */
const SHORT_WORDS = 4;

async function detectSource(text: string, pairs: string[], lang: 'es' | 'en'): Promise<string | undefined> {
  const sources = new Set(pairs.map((p) => p.split('-')[0]));
  const words = text.match(/[\p{L}\p{N}]+/gu)?.length ?? 0;
  const onlyEsEn = [...sources].every((s) => s === 'es' || s === 'en');
  if (sources.has('es') && sources.has('en') && (words <= SHORT_WORDS || (onlyEsEn && words <= 2 * SHORT_WORDS)))
    return detectEsEn(text, lang);
  return detectLanguage(text);
}

export const translateTask: Task = async ({ options, lang }, { models, signal, report }) => {
  const started = performance.now();
  const text = String(options.text ?? '');
  const pairs = Object.keys(models.translationPairs());
  const supported = pairs.join(', ') || '—';
  const from = options.from ? String(options.from).toLowerCase() : await detectSource(text, pairs, lang);
  if (!from) throw new SinapsisError('language_unknown', { supported });
  const to = options.to ? String(options.to).toLowerCase() : from === 'es' ? 'en' : 'es';
  // Right-clicking a message already in your language lands here: say so rather than "cannot translate es → es".
  if (from === to) throw new SinapsisError('same_language', { language: languageName(from, lang) });
  if (!pairs.includes(`${from}-${to}`)) throw new SinapsisError('unsupported_pair', { from, to, supported });
  const { translator, id } = await models.translator(from, to);

  const pieces = splitSentences(text, from);
  const out: string[] = [];
  for (let i = 0; i < pieces.length; i += BATCH) {
    signal.throwIfAborted();
    const batch = pieces.slice(i, i + BATCH).map((p) => p.sentence);
    // A translation is rarely much longer than its source; the cap stops a model that never says EOS.
    const maxNewTokens = Math.min(256, 16 + Math.max(...batch.map((b) => b.length)));
    const res = (await translator(batch, { max_new_tokens: maxNewTokens } as never)) as { translation_text: string }[];
    out.push(...res.map((r) => r.translation_text.trim()));
    // Long texts arrive batch by batch (the playground and chat replies show it growing).
    if (i + BATCH < pieces.length) report?.({ text: joinPieces(pieces.slice(0, out.length), out) });
  }
  const translated = joinPieces(pieces, out);
  const ms = Math.round(performance.now() - started);
  return {
    text: `${translated}\n\n${t(lang, 'translated', { from, to, model: id, ms })}`,
    images: [],
    data: { text: translated, from, to, sentences: pieces.length },
    timings: { totalMs: ms },
    model: id,
  };
};
