import { loadModule, type LanguageIdentifier } from 'cld3-asm';
import type { Lang } from './locale.js';

// Short questions fool any statistical detector ("redes neuronales" reads as English to CLD3),
// so clear Spanish or English signals decide first and CLD3 only breaks ties.
const ES_WORDS = new Set(
  'que qué como cómo cuál cual cuales por para una uno unos unas los las del el la es son ser está están qué hace hacen se entre sin con sobre red redes aprendizaje neuronal neuronales cuando dónde donde porque diferencia explicame explicá explica'.split(
    ' ',
  ),
);
const EN_WORDS = new Set(
  'what how which why the a an is are does do of to in on for with between without about network networks learning neural when where because difference explain'.split(
    ' ',
  ),
);

let loaded: Promise<LanguageIdentifier> | undefined;
const identifier = () => (loaded ??= loadModule().then((cld) => cld.create(0, 1000)));

/**
 * Any language CLD3 knows (ISO 639-1), trusting clear Spanish/English cues
 * first; undefined when CLD3 is not confident and there is no cue.
 */
export async function detectLanguage(text: string): Promise<string | undefined> {
  const cue = cues(text);
  if (cue) return cue;
  try {
    const best = (await identifier()).findLanguage(text);
    return best.is_reliable && best.probability > 0.7 ? best.language : undefined;
  } catch {
    return undefined;
  }
}

function cues(text: string): Lang | undefined {
  if (/[¿¡ñ]/i.test(text)) return 'es';
  const words = text.toLowerCase().match(/[\p{L}]+/gu) ?? [];
  const es = words.filter((w) => ES_WORDS.has(w)).length + (/[áéíóú]/i.test(text) ? 1 : 0);
  const en = words.filter((w) => EN_WORDS.has(w)).length;
  return es !== en ? (es > en ? 'es' : 'en') : undefined;
}

/** Spanish or English, for a text; undefined when there is no signal at all. */
export async function detectLang(text: string): Promise<Lang | undefined> {
  const cue = cues(text);
  if (cue) return cue;
  try {
    const ranked = (await identifier()).findMostFrequentLanguages(text, 3);
    const hit = ranked.find((r) => r.language === 'es' || r.language === 'en');
    return hit ? (hit.language as Lang) : undefined;
  } catch {
    return undefined;
  }
}

// Everyday words of very short texts ("hola mundo", "gracias", "thank you") that carry no grammar cue.
const ES_SHORT = new Set(
  'hola mundo gracias muchas buenas buenos días dias tardes noches chau adiós adios sí si bien mal muy gato perro casa amigo amiga perdón perdon favor vale dale genial claro nada todo nos vemos'.split(
    ' ',
  ),
);
const EN_SHORT = new Set(
  'hello hi hey world thanks thank you yes good morning evening night bye goodbye cat dog house friend sorry please fine great sure nothing everything see'.split(
    ' ',
  ),
);

/**
 * Spanish or English for a short text when the server translates between
 * those two: cues, everyday words, then CLD3's ranking restricted to es/en,
 * then `fallback` (the user's language). Never Zulu for "hola mundo".
 */
export async function detectEsEn(text: string, fallback: Lang): Promise<Lang> {
  const cue = cues(text);
  if (cue) return cue;
  const words = text.toLowerCase().match(/[\p{L}]+/gu) ?? [];
  const es = words.filter((w) => ES_SHORT.has(w)).length;
  const en = words.filter((w) => EN_SHORT.has(w)).length;
  if (es !== en) return es > en ? 'es' : 'en';
  try {
    const ranked = (await identifier()).findMostFrequentLanguages(text, 3);
    const hit = ranked.find((r) => (r.language === 'es' || r.language === 'en') && r.probability > 0.5);
    if (hit) return hit.language as Lang;
  } catch {
    // CLD3 unavailable: the user's language decides.
  }
  return fallback;
}
