import { detectLang } from '../i18n/detect.js';
import { t } from '../i18n/messages.js';
import { KnowledgeIndex, type Analysis, type Hit, type Passage } from '../knowledge/index.js';
import { denseMargin, fuseRankings, SemanticIndex, type Embed } from '../knowledge/semantic.js';
import { cached } from '../models/cached.js';
import { findCommand, PHOTO_LIMITS } from '../../commands/index.js';
import { specLocale, type Lang } from '../i18n/locale.js';
import { SinapsisError } from '../errors.js';
import { decodeOrRefuse, inspectImage } from '../images/load.js';

import type { ModelRegistry } from '../models/registry.js';
import { rephrase } from './grounded-rephrase.js';
import { classicFiltersGrid, firstLayerGrid, sampleImage } from './cnn-pictures.js';
import { isNeuronRequest, neuronTask } from './neuron.js';
import type { FollowUp, ResultImage, Task, TaskResult } from './types.js';

let index: KnowledgeIndex | undefined;
export const knowledgeIndex = () => (index ??= new KnowledgeIndex());
// Built once per loaded embedding pipeline (a new registry means a new pipeline).
const semanticIndexes = new WeakMap<object, Promise<SemanticIndex>>();

/** The scope decision itself lives with the index (analysis.inScope, see DECLINE_BELOW there); a covered question below this is a weak match: answered, with "did you mean" suggestions. */
export const CONFIDENT_FROM = 0.7;
/** A runner-up this close to the best also makes the match weak (ambiguous). */
const CLOSE_SECOND = 0.92;
/**
 * With an embedding model, a question the words barely cover is still answered (as a weak match) when
 * its best cosine is this high and stands this far above the average passage. Not calibrated on a real
 * model (none can be fetched here): deliberately strict, so the dense side rarely overrides a decline.
 */
const MIN_DENSE_ONLY_SIMILARITY = 0.8;
const MIN_DENSE_MARGIN = 0.15;
const MIN_COVERAGE_FOR_DENSE = 0.25;
/** Below the first place, a confident lexical ranking counts double in the fusion; a weak one as much as the dense ranking. */
const LEXICAL_WEIGHT_WHEN_CONFIDENT = 2;
/** A neighbour must score at least this share of the best passage (lexical scores). */
const NEIGHBOUR_MIN = 0.35;
/** Words that ask about two things at once ("RNN y transformer", "GAN vs VAE"). */
const COMPARISON = /\b(y|e|o|and|or|vs|versus|diferencias?|difference|compar\w*|entre|between)\b/i;
/** Passages about convolutions show the 3×3 filters and YuNet's first layer. */
const CNN_PICTURES = new Set(['cnn', 'convolution', 'feature-hierarchy', 'feature-maps']);

export type Detail = 'simple' | 'example' | 'demo';

interface Retrieval {
  hits: Hit[];
  analysis: Analysis;
  decision: 'answer' | 'weak' | 'declined';
  method: 'bm25' | 'hybrid' | 'title';
  embeddingModel?: string;
  /** Why dense retrieval was not used although a model is configured. */
  fallback?: string;
}

/**
 * Lexical search always; when an embedding model is set up, dense search too,
 * fused by rank. A glossary term in the question keeps its passage first (the
 * glossary is curated; a dense ranking is not). A model that fails to load
 * leaves lexical search answering.
 */
async function retrieve(models: ModelRegistry, kb: KnowledgeIndex, question: string): Promise<Retrieval> {
  const { hits: lexical, analysis } = kb.lookup(question, 10);
  const pinned = kb.byTitle(question);
  if (pinned)
    return {
      hits: [{ section: pinned, score: 1 }, ...lexical.filter((h) => h.section.id !== pinned.id)],
      analysis,
      decision: 'answer',
      method: 'title',
    };
  const lexicalDecision = decide(analysis, lexical);
  let emb: Awaited<ReturnType<ModelRegistry['embedder']>>;
  try {
    emb = await models.embedder();
  } catch (err) {
    return {
      hits: lexical,
      analysis,
      decision: lexicalDecision,
      method: 'bm25',
      fallback: err instanceof SinapsisError ? err.code : 'embedding_failed',
    };
  }
  if (!emb) return { hits: lexical, analysis, decision: lexicalDecision, method: 'bm25' };
  const { embedder, prefixes, id } = emb;
  const embed: Embed = async (texts) =>
    (await embedder(texts, { pooling: 'mean', normalize: true })).tolist() as number[][];
  const semantic = cached(semanticIndexes, embedder as object, () =>
    SemanticIndex.build(kb.sections, embed, prefixes.passage),
  );
  const [query] = await embed([`${prefixes.query}${question}`]);
  const dense = (await semantic).rank(query!);
  const denseTop = dense[0]?.score ?? 0;
  let decision = lexicalDecision;
  if (
    decision === 'declined' &&
    analysis.coverage >= MIN_COVERAGE_FOR_DENSE &&
    denseTop >= MIN_DENSE_ONLY_SIMILARITY &&
    denseMargin(dense) >= MIN_DENSE_MARGIN
  )
    decision = 'weak';
  let hits = fuseRankings([lexical, dense], 10, 60, [decision === 'answer' ? LEXICAL_WEIGHT_WHEN_CONFIDENT : 1, 1]);
  // A confident lexical match, or a passage the glossary names, stays first: the dense side reorders the rest.
  const named =
    (decision === 'answer' && lexical[0]?.section) || (analysis.glossary[0] && kb.byId(analysis.glossary[0].id));
  if (named) hits = [{ section: named, score: hits[0]?.score ?? 1 }, ...hits.filter((h) => h.section.id !== named.id)];
  return { hits, analysis, decision, method: 'hybrid', embeddingModel: id };
}

function decide({ coverage, inScope }: Analysis, hits: Hit[]): Retrieval['decision'] {
  if (!hits.length || !inScope) return 'declined';
  const [a, b] = hits;
  if (coverage < CONFIDENT_FROM || (b && b.score >= CLOSE_SECOND * a!.score)) return 'weak';
  return 'answer';
}

/** One or two passages the question also names, when it asks about several things at once. */
function neighbours(question: string, best: Passage, retrieval: Retrieval, kb: KnowledgeIndex): Passage[] {
  if (!COMPARISON.test(question)) return [];
  const lexical = kb.lookup(question, 6).hits;
  const bestScore = lexical.find((h) => h.section.id === best.id)?.score ?? lexical[0]?.score ?? 0;
  const { glossary } = retrieval.analysis;
  // A neighbour must be named by words of its own, not by part of the best passage's name ("no supervisado" ⊃ "supervisado").
  const taken = new Set(glossary.find((g) => g.id === best.id)?.at ?? []);
  const named = new Set(glossary.filter((g) => g.at.some((i) => !taken.has(i))).map((g) => g.id));
  return lexical
    .filter((h) => h.section.id !== best.id && named.has(h.section.id) && h.score >= NEIGHBOUR_MIN * bestScore)
    .slice(0, 2)
    .map((h) => h.section);
}

/** The command that demonstrates a passage, written as the user would type it, in their language. */
export function demoCommand(p: Passage, lang: Lang): string {
  const spec = findCommand(p.demo) ?? findCommand('explain')!;
  const locale = specLocale(lang);
  const values: Record<string, string> =
    spec.name === 'explain' && !Object.keys(p.tryOptions).length ? { topic: p.title[lang] } : { ...p.tryOptions };
  const parts = [`/${spec.texts[locale].name}`];
  for (const o of spec.options) {
    if (o.name in values) parts.push(`${o.texts[locale].name}: ${values[o.name]}`);
    else if (o.type === 'image' && (o.required || spec.name !== 'explain'))
      parts.push(`${o.texts[locale].name}: ${t(lang, 'explain_your_photo')}`);
  }
  return parts.join(' ');
}

function followUps(best: Passage, suggestions: Passage[], lang: Lang): FollowUp[] {
  const topic = best.title[lang];
  return [
    { label: t(lang, 'explain_more_simple'), options: { topic, detail: 'simple' } },
    { label: t(lang, 'explain_an_example'), options: { topic, detail: 'example' } },
    { label: t(lang, 'explain_in_the_bot'), options: { topic, detail: 'demo' } },
    ...suggestions.map((s) => ({ label: s.title[lang].slice(0, 80), options: { topic: s.title[lang] } })),
  ];
}

/** The text for a follow-up button: the simpler version, the example, or the command that shows it. */
function detailText(p: Passage, detail: Detail, lang: Lang): string {
  if (detail === 'simple')
    return [`**${p.title[lang]}** · ${t(lang, 'explain_more_simple')}`, p.simple[lang]].join('\n');
  if (detail === 'example')
    return [`**${p.title[lang]}** · ${t(lang, 'explain_an_example')}`, p.example[lang]].join('\n');
  return [
    `**${p.title[lang]}** · ${t(lang, 'explain_in_the_bot')}`,
    t(lang, 'explain_try_command', { command: demoCommand(p, lang) }),
    '',
    p.example[lang],
  ].join('\n');
}

const quoteTitles = (titles: string[], lang: Lang, last: 'list_and' | 'list_or' = 'list_and') => {
  const q = titles.map((title) => t(lang, 'quoted_title', { title }));
  return q.length > 1 ? `${q.slice(0, -1).join(', ')}${t(lang, last)}${q.at(-1)}` : q[0]!;
};

/**
 * The course tutor: retrieves the passage of the notes that answers the
 * question (BM25 with a bilingual glossary, fused with sentence embeddings
 * when a model is set up) and answers with it, in the asker's language,
 * citing it by title; adds a neighbour when the question asks about two
 * things. Questions the notes do not cover are declined, listing the topics
 * it can explain. Optionally the text model rephrases the passage, kept only
 * when grounded in it. Nothing is invented.
 */
export const explainTask: Task = async (
  { options, images, lang, langSource },
  { models, signal, explainRephrase },
): Promise<TaskResult> => {
  // "/explain neuron" (or any of inputs/weights/bias/activation): the neuron computed by hand.
  if (isNeuronRequest(options))
    return neuronTask(options, langSource === 'default' && /neurona/i.test(String(options.topic)) ? 'es' : lang);
  const started = performance.now();
  const kb = knowledgeIndex();
  // An attached photo is checked whatever the topic: a bad file is refused, never silently ignored.
  if (images.image) await inspectImage(images.image, PHOTO_LIMITS);
  const question = String(options.topic ?? '');
  const detail = (['simple', 'example', 'demo'] as const).find((d) => d === options.detail);
  const language = langSource === 'default' ? ((await detectLang(question)) ?? lang) : lang;
  const retrieval = await retrieve(models, kb, question);
  const { hits, decision, analysis } = retrieval;
  const ms = performance.now() - started;
  const how = {
    retrieval: retrieval.method,
    ...(retrieval.embeddingModel ? { embedding_model: retrieval.embeddingModel } : {}),
    ...(retrieval.fallback ? { fallback: retrieval.fallback } : {}),
    scope: {
      decision,
      coverage: Math.round(analysis.coverage * 1000) / 1000,
      ...(Object.keys(analysis.corrected).length ? { corrected: analysis.corrected } : {}),
    },
  };
  const sources = (list: Hit[]) =>
    list.slice(0, 3).map((h) => ({
      id: h.section.id,
      title: h.section.title[language],
      file: h.section.file,
      score: Math.round(h.score * 1000) / 1000,
    }));
  if (decision === 'declined') {
    const topics = [...new Map(kb.sections.map((s) => [s.topic, s.topicName[language]])).values()].join('; ');
    const answer = t(language, 'explain_no_match', { topics });
    return {
      text: answer,
      images: [],
      data: { answer, language, sources: [], ...how },
      timings: { retrievalMs: ms, totalMs: performance.now() - started },
    };
  }
  const best = hits[0]!.section;
  const suggestions = decision === 'weak' && !detail ? hits.slice(1, 3).map((h) => h.section) : [];
  let lines: string[];
  let used: Passage[] = [best];
  let rephrased: Awaited<ReturnType<typeof rephrase>> | undefined;
  if (detail) {
    lines = [detailText(best, detail, language)];
  } else {
    used = [best, ...neighbours(question, best, retrieval, kb)];
    rephrased =
      explainRephrase && used.length === 1
        ? await rephrase(models, best.body[language], question, language, signal)
        : undefined;
    lines = [`**${best.title[language]}**`, rephrased && 'text' in rephrased ? rephrased.text : best.body[language]];
    if (rephrased && 'text' in rephrased) lines.push('', t(language, 'explain_rephrased', { model: rephrased.model }));
    for (const n of used.slice(1)) lines.push('', `**${n.title[language]}**`, n.body[language]);
    // One "try it" sentence, naming the command as the asker sees it (/detectar-caras in Spanish).
    const demo = best.demo && best.demo !== 'explain' ? findCommand(best.demo) : undefined;
    if (demo) lines.push('', t(language, 'explain_demo', { command: demo.texts[specLocale(language)].name }));
    if (suggestions.length)
      lines.push(
        '',
        t(language, 'explain_did_you_mean', {
          titles: quoteTitles(
            suggestions.map((s) => s.title[language]),
            language,
            'list_or',
          ),
        }),
      );
  }
  lines.push(
    '',
    t(language, 'explain_source', {
      titles: quoteTitles(
        used.map((p) => p.title[language]),
        language,
      ),
    }),
  );
  const answer = lines.join('\n');
  const pictures =
    (!detail && CNN_PICTURES.has(best.id)) || images.image ? await cnnPictures(models, images.image, language) : [];
  return {
    text: answer,
    images: pictures,
    followUps: followUps(best, suggestions, language),
    data: {
      answer,
      language,
      sources: sources(hits),
      passages: used.map((p) => p.id),
      ...(detail ? { detail } : {}),
      ...(suggestions.length ? { suggestions: suggestions.map((s) => ({ id: s.id, title: s.title[language] })) } : {}),
      demo: { command: best.demo, text: demoCommand(best, language) },
      ...how,
      ...(rephrased
        ? {
            rephrased:
              'text' in rephrased ? { model: rephrased.model, groundedness: rephrased.groundedness } : rephrased,
          }
        : {}),
    },
    timings: { retrievalMs: ms, totalMs: performance.now() - started },
  };
};

/** For convolutions: classic 3×3 filters and YuNet's first-layer maps on the user's photo (or a sample). */
async function cnnPictures(models: ModelRegistry, photo: Buffer | undefined, lang: Lang): Promise<ResultImage[]> {
  const source = photo ? (await inspectImage(photo, PHOTO_LIMITS), photo) : await sampleImage();
  const filters = await decodeOrRefuse(classicFiltersGrid(source, lang));
  const pictures: ResultImage[] = [
    { name: 'filters-3x3.png', mime: 'image/png', data: filters, alt: t(lang, 'explain_alt_filters') },
  ];
  try {
    const maps = await decodeOrRefuse(firstLayerGrid(models, source, lang));
    pictures.push({
      name: 'yunet-first-layer.png',
      mime: 'image/png',
      data: maps.png,
      alt: t(lang, 'explain_alt_first_layer'),
    });
  } catch (err) {
    // Without the face model the classic filters still explain the idea; a bad photo is reported.
    if (err instanceof SinapsisError && err.code !== 'model_missing' && err.code !== 'model_corrupt') throw err;
  }
  return pictures;
}
