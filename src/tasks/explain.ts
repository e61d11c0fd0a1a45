import { detectLang } from '../i18n/detect.js';
import { t } from '../i18n/messages.js';
import { KnowledgeIndex } from '../knowledge/index.js';
import { PHOTO_LIMITS } from '../../commands/spec.js';
import { SinapsisError } from '../errors.js';
import { decoding, inspectImage } from '../images/load.js';
import type { Lang } from '../i18n/locale.js';
import type { ModelRegistry } from '../models/registry.js';
import { classicFiltersGrid, firstLayerGrid, sampleImage } from './cnn-pictures.js';
import type { ResultImage, Task, TaskResult } from './types.js';

let index: KnowledgeIndex | undefined;

/**
 * The course tutor: retrieves the knowledge-base section that answers the
 * question (BM25 over both languages) and answers with that passage, in the
 * asker's language, citing it. Nothing is invented: no match says so.
 */
export const explainTask: Task = async ({ options, images, lang, langSource }, { models }): Promise<TaskResult> => {
  const started = performance.now();
  index ??= new KnowledgeIndex();
  const question = String(options.topic ?? '');
  const language = langSource === 'default' ? ((await detectLang(question)) ?? lang) : lang;
  const hits = index.query(question, 3);
  const ms = performance.now() - started;
  if (!hits.length) {
    const topics = index.sections.map((s) => s.title[language]).join('; ');
    const answer = t(language, 'explain_no_match', { topics });
    return { text: answer, images: [], data: { answer, language, sources: [] }, timings: { retrievalMs: ms } };
  }
  const best = hits[0]!.section;
  const lines = [`**${best.title[language]}**`, best.body[language]];
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
      sources: hits.map((h) => ({ id: h.section.id, title: h.section.title[language], file: h.section.file, score: Math.round(h.score * 100) / 100 })),
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
