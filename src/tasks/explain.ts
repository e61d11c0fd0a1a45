import { detectLang } from '../i18n/detect.js';
import { t } from '../i18n/messages.js';
import { KnowledgeIndex, type Hit } from '../knowledge/index.js';
import { fuseRankings, SemanticIndex, type Embed } from '../knowledge/semantic.js';
import { cached } from '../models/cached.js';
import { PHOTO_LIMITS } from '../../commands/spec.js';
import { SinapsisError } from '../errors.js';
import { decoding, inspectImage } from '../images/load.js';
import type { Lang } from '../i18n/locale.js';
import type { ModelRegistry } from '../models/registry.js';
import { rephrase } from './grounded-rephrase.js';
import { classicFiltersGrid, firstLayerGrid, sampleImage } from './cnn-pictures.js';
import type { ResultImage, Task, TaskResult } from './types.js';

let index: KnowledgeIndex | undefined;
// Built once per loaded embedding pipeline (a new registry means a new pipeline).
const semanticIndexes = new WeakMap<object, Promise<SemanticIndex>>();
/** Below this cosine a dense-only match is not trusted (no word of the question is in the notes). */
const MIN_DENSE_ONLY_SIMILARITY = 0.8;

interface Retrieval {
  hits: Hit[];
  method: 'bm25' | 'hybrid';
  embeddingModel?: string;
  /** Why dense retrieval was not used although a model is configured. */
  fallback?: string;
}

/**
 * Lexical search always; when an embedding model is set up, dense search too,
 * fused by rank. A model that fails to load leaves lexical search answering.
 */
async function retrieve(models: ModelRegistry, kb: KnowledgeIndex, question: string): Promise<Retrieval> {
  const lexical = kb.query(question, 10);
  let emb;
  try {
    emb = await models.embedder();
  } catch (err) {
    return { hits: lexical.slice(0, 3), method: 'bm25', fallback: err instanceof SinapsisError ? err.code : 'embedding_failed' };
  }
  if (!emb) return { hits: lexical.slice(0, 3), method: 'bm25' };
  const { embedder, prefixes, id } = emb;
  const embed: Embed = async (texts) => (await embedder(texts, { pooling: 'mean', normalize: true })).tolist() as number[][];
  const semantic = cached(semanticIndexes, embedder as object, () => SemanticIndex.build(kb.sections, embed, prefixes.passage));
  const [query] = await embed([`${prefixes.query}${question}`]);
  const dense = (await semantic).rank(query!);
  if (!lexical.length && (dense[0]?.score ?? 0) < MIN_DENSE_ONLY_SIMILARITY) return { hits: [], method: 'hybrid', embeddingModel: id };
  return { hits: fuseRankings([lexical, dense], 3), method: 'hybrid', embeddingModel: id };
}

/**
 * The course tutor: retrieves the knowledge-base section that answers the
 * question (BM25, fused with sentence embeddings when a model is set up) and
 * answers with that passage, in the asker's language, citing it. Optionally
 * the text model rephrases it, kept only when grounded in the passage.
 * Nothing is invented: no match says so.
 */
export const explainTask: Task = async ({ options, images, lang, langSource }, { models, signal, explainRephrase }): Promise<TaskResult> => {
  const started = performance.now();
  index ??= new KnowledgeIndex();
  // An attached photo is checked whatever the topic: a bad file is refused, never silently ignored.
  if (images.image) await inspectImage(images.image, PHOTO_LIMITS);
  const question = String(options.topic ?? '');
  const language = langSource === 'default' ? ((await detectLang(question)) ?? lang) : lang;
  const retrieval = await retrieve(models, index, question);
  const { hits } = retrieval;
  const ms = performance.now() - started;
  const how = { retrieval: retrieval.method, ...(retrieval.embeddingModel ? { embedding_model: retrieval.embeddingModel } : {}), ...(retrieval.fallback ? { fallback: retrieval.fallback } : {}) };
  if (!hits.length) {
    const topics = index.sections.map((s) => s.title[language]).join('; ');
    const answer = t(language, 'explain_no_match', { topics });
    return { text: answer, images: [], data: { answer, language, sources: [], ...how }, timings: { retrievalMs: ms } };
  }
  const best = hits[0]!.section;
  const rephrased = explainRephrase ? await rephrase(models, best.body[language], question, language, signal) : undefined;
  const lines = [`**${best.title[language]}**`, rephrased && 'text' in rephrased ? rephrased.text : best.body[language]];
  if (rephrased && 'text' in rephrased) lines.push('', t(language, 'explain_rephrased', { model: rephrased.model }));
  if (best.demo && best.demo !== 'explain') lines.push('', t(language, 'explain_demo', { command: best.demo }));
  lines.push('', t(language, 'explain_source', { title: best.title[language], file: best.file }));
  const answer = lines.join('\n');
  const pictures = best.id === 'cnn' || images.image ? await cnnPictures(models, images.image, language) : [];
  return {
    text: answer,
    images: pictures,
    data: {
      answer,
      language,
      sources: hits.map((h) => ({ id: h.section.id, title: h.section.title[language], file: h.section.file, score: Math.round(h.score * 1000) / 1000 })),
      ...how,
      ...(rephrased ? { rephrased: 'text' in rephrased ? { model: rephrased.model, groundedness: rephrased.groundedness } : rephrased } : {}),
    },
    timings: { retrievalMs: ms, totalMs: performance.now() - started },
  };
};

/** For convolutions: classic 3×3 filters and YuNet's first-layer maps on the user's photo (or a sample). */
async function cnnPictures(models: ModelRegistry, photo: Buffer | undefined, lang: Lang): Promise<ResultImage[]> {
  const source = photo ? (await inspectImage(photo, PHOTO_LIMITS), photo) : await sampleImage();
  const filters = await decoding(classicFiltersGrid(source, lang));
  const pictures: ResultImage[] = [{ name: 'filters-3x3.png', mime: 'image/png', data: filters, alt: lang === 'es' ? 'Filtros 3×3 clásicos sobre la imagen' : 'Classic 3×3 filters on the image' }];
  try {
    const maps = await decoding(firstLayerGrid(models, source, lang));
    pictures.push({ name: 'yunet-first-layer.png', mime: 'image/png', data: maps.png, alt: lang === 'es' ? 'Mapas de rasgos de la primera capa de YuNet' : "YuNet's first-layer feature maps" });
  } catch (err) {
    // Without the face model the classic filters still explain the idea; a bad photo is reported.
    if (err instanceof SinapsisError && err.code !== 'model_missing' && err.code !== 'model_corrupt') throw err;
  }
  return pictures;
}
