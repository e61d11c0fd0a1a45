import { detectLang } from '../i18n/detect.js';
import type { Lang } from '../i18n/locale.js';
import type { ModelRegistry } from '../models/registry.js';

const fold = (s: string) => s.toLowerCase().normalize('NFD').replace(/\p{M}/gu, '');
const contentWords = (s: string) => fold(s).match(/\p{L}{4,}/gu) ?? [];

/**
 * Share of the output's content words (4+ letters) that the sources contain,
 * matching on a 5-letter stem so inflections count ("redes" ~ "red", "filtros"
 * ~ "filtro"). A rephrasing that brings in its own vocabulary scores low.
 */
export function groundedness(output: string, sources: readonly string[]): number {
  const words = contentWords(output);
  if (!words.length) return 0;
  const known = new Set(sources.flatMap(contentWords).map((w) => w.slice(0, 5)));
  return words.filter((w) => known.has(w.slice(0, 5))).length / words.length;
}

export const MIN_GROUNDEDNESS = 0.85;
const MIN_CHARS = 40;
const MAX_NEW_TOKENS = 160;

export type Rephrasing =
  | { text: string; model: string; groundedness: number }
  | { rejected: string; model?: string; groundedness?: number };

/**
 * Asks the text model to answer the question from the passage only, greedily,
 * and keeps the result only if it is long enough, in the right language and
 * grounded in the passage; otherwise says why it was rejected so the caller
 * answers with the passage itself.
 */
export async function rephrase(
  models: ModelRegistry,
  passage: string,
  question: string,
  lang: Lang,
  signal: AbortSignal,
): Promise<Rephrasing> {
  let loaded: Awaited<ReturnType<ModelRegistry['textGenerator']>>;
  try {
    loaded = await models.textGenerator(undefined);
  } catch {
    return { rejected: 'no_text_model' };
  }
  const { generator, id } = loaded;
  const instruction =
    lang === 'es'
      ? `Respondé la pregunta en español usando solo estos apuntes, sin agregar nada.\nApuntes: ${passage}\nPregunta: ${question}\nRespuesta:`
      : `Answer the question in English using only these notes, adding nothing.\nNotes: ${passage}\nQuestion: ${question}\nAnswer:`;
  const tokenizer = generator.tokenizer as unknown as { chat_template?: string };
  const input = tokenizer.chat_template ? [{ role: 'user', content: instruction }] : instruction;
  signal.throwIfAborted();
  const out = (await generator(
    input as string,
    { max_new_tokens: MAX_NEW_TOKENS, do_sample: false, return_full_text: false } as never,
  )) as unknown as { generated_text: string | { role: string; content: string }[] }[];
  const generated = out[0]?.generated_text;
  const text = (typeof generated === 'string' ? generated : (generated?.at(-1)?.content ?? '')).trim();
  if (text.length < MIN_CHARS) return { rejected: 'too_short', model: id };
  const score = groundedness(text, [passage, question]);
  if (score < MIN_GROUNDEDNESS) return { rejected: 'not_grounded', model: id, groundedness: score };
  const detected = await detectLang(text);
  if (detected && detected !== lang) return { rejected: 'wrong_language', model: id, groundedness: score };
  return { text, model: id, groundedness: score };
}
