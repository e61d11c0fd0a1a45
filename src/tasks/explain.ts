import { detectLang } from '../i18n/detect.js';
import { t } from '../i18n/messages.js';
import { KnowledgeIndex } from '../knowledge/index.js';
import type { Task } from './types.js';

let index: KnowledgeIndex | undefined;

/**
 * The course tutor: retrieves the knowledge-base section that answers the
 * question (BM25 over both languages) and answers with that passage, in the
 * asker's language, citing it. Nothing is invented: no match says so.
 */
export const explainTask: Task = async ({ options, lang, langSource }) => {
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
  return {
    text: answer,
    images: [],
    data: {
      answer,
      language,
      sources: hits.map((h) => ({ id: h.section.id, title: h.section.title[language], file: h.section.file, score: Math.round(h.score * 100) / 100 })),
    },
    timings: { retrievalMs: ms },
  };
};
