// /explain on three question sets: the tuning set (tests/fixtures/explain-questions.json: 176 questions,
// half Spanish with voseo and typos, 25 out of scope), a second set of 40 written later (heldout: its first
// look was 28/40, then glossary gaps it showed were filled) and a third of 40 (blind: first look 33/40).
// Per set: top-1 passage accuracy per language, precision/recall of the decline, and
// time per answer through the service, end to end. Peer, same run: plain BM25 over the same passages
// (MiniSearch with its own fuzzy matching, no glossary, no typo correction, no scope check: it always
// answers). Then the same with a sentence-embedding model fused in (SINAPSIS_EMBEDDING_MODEL, by default
// the tiny random-weight fixture, whose figures only show the fusion's plumbing and cost).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import MiniSearch from 'minisearch';
import pino from 'pino';
import { loadConfig } from '../src/config/index.js';
import { createApp } from '../src/core/app.js';
import { loadPassages } from '../src/knowledge/index.js';
import { median, quantile, round } from './lib/stats.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
type Question = { q: string; id: string | null; lang: 'es' | 'en' };

interface Outcome {
  top?: string;
  declined: boolean;
  ms: number;
}

/** Per language: top-1 on in-scope questions (a declined one counts as wrong), decline precision and recall. */
function score(questions: Question[], outcomes: Outcome[]) {
  const out: Record<string, unknown> = {};
  for (const lang of ['es', 'en', 'all'] as const) {
    const pick = questions.map((q, i) => ({ q, o: outcomes[i]! })).filter(({ q }) => lang === 'all' || q.lang === lang);
    const inScope = pick.filter(({ q }) => q.id !== null);
    const offTopic = pick.filter(({ q }) => q.id === null);
    const declined = pick.filter(({ o }) => o.declined);
    const truePos = declined.filter(({ q }) => q.id === null).length;
    out[lang] = {
      in_scope: inScope.length,
      top1: round(inScope.filter(({ q, o }) => !o.declined && o.top === q.id).length / inScope.length, 3),
      off_topic: offTopic.length,
      decline_recall: round(truePos / offTopic.length, 3),
      decline_precision: declined.length ? round(truePos / declined.length, 3) : null,
    };
  }
  return out;
}

const misses = (questions: Question[], outcomes: Outcome[]) =>
  questions.flatMap((x, i) => {
    const o = outcomes[i]!;
    if (x.id === null) return o.declined ? [] : [`${x.q} → answered ${o.top} (off topic)`];
    return o.declined
      ? [`${x.q} → declined (expected ${x.id})`]
      : o.top === x.id
        ? []
        : [`${x.q} → ${o.top} (expected ${x.id})`];
  });

function peer(questions: Question[]): Outcome[] {
  const passages = loadPassages();
  const search = new MiniSearch<{ id: string; title: string; text: string }>({
    fields: ['title', 'text'],
    searchOptions: { boost: { title: 3 }, fuzzy: 0.2, prefix: true },
  });
  search.addAll(
    passages.map((p) => ({ id: p.id, title: `${p.title.es} ${p.title.en}`, text: `${p.body.es} ${p.body.en}` })),
  );
  return questions.map(({ q }) => {
    const t = performance.now();
    const top = search.search(q)[0]?.id as string | undefined;
    return { top, declined: top === undefined, ms: performance.now() - t };
  });
}

async function throughService(questions: Question[], env: Record<string, string>) {
  const app = createApp(
    loadConfig({ ...process.env, ...env, SINAPSIS_DATA_DIR: path.join(ROOT, '.bench-data') }, { dotenv: false }),
    { logger: pino({ level: 'silent' }) },
  );
  try {
    const ask = (topic: string, lang: 'es' | 'en') =>
      app.service.run({ command: 'explain', options: { topic }, ctx: { platform: 'bench', userId: 'b', lang } });
    const t0 = performance.now();
    const warm = await ask('¿qué es una neurona?', 'es');
    const firstMs = performance.now() - t0;
    const outcomes: Outcome[] = [];
    for (const { q, lang } of questions) {
      const t = performance.now();
      const r = await ask(q, lang);
      const ms = performance.now() - t;
      const declined = (r.data.scope as { decision: string }).decision === 'declined';
      outcomes.push({ top: (r.data.sources as { id: string }[])[0]?.id, declined, ms });
    }
    return { outcomes, firstMs, retrieval: warm.data.retrieval as string };
  } finally {
    await app.close();
  }
}

const times = (o: Outcome[]) => ({
  median_ms: round(median(o.map((x) => x.ms)), 2),
  p95_ms: round(
    quantile(
      o.map((x) => x.ms),
      0.95,
    ),
    2,
  ),
  max_ms: round(Math.max(...o.map((x) => x.ms)), 2),
});

const SETS = [
  ['tuning', 'tests/fixtures/explain-questions.json'],
  ['second', 'tests/fixtures/explain-questions-heldout.json'],
  ['third', 'tests/fixtures/explain-questions-blind.json'],
] as const;

/** Like the hidden set: right passage first, or an off-topic question declined. */
const hiddenStyle = (questions: Question[], outcomes: Outcome[]) =>
  `${questions.filter((x, i) => (x.id === null ? outcomes[i]!.declined : !outcomes[i]!.declined && outcomes[i]!.top === x.id)).length}/${questions.length}`;

export async function run() {
  const model = process.env.SINAPSIS_EMBEDDING_MODEL || path.join(ROOT, 'tests/fixtures/models/bert-tiny-embed');
  console.log(JSON.stringify({ passages: loadPassages().length }));
  for (const [name, file] of SETS) {
    const questions: Question[] = JSON.parse(readFileSync(path.join(ROOT, file), 'utf8'));
    const counts = {
      questions: questions.length,
      es: questions.filter((q) => q.lang === 'es').length,
      en: questions.filter((q) => q.lang === 'en').length,
      off_topic: questions.filter((q) => q.id === null).length,
    };
    const base = peer(questions);
    const lexical = await throughService(questions, { SINAPSIS_EMBEDDING_MODEL: '' });
    const hybrid = await throughService(questions, { SINAPSIS_EMBEDDING_MODEL: model });
    const med = (o: Outcome[]) => median(o.map((x) => x.ms));
    console.log(JSON.stringify({ set: name, file, ...counts }));
    console.log(
      JSON.stringify({
        method: 'peer: plain BM25 (MiniSearch fuzzy), always answers',
        score: hiddenStyle(
          questions,
          base.map((o) => ({ ...o, declined: false })),
        ),
        ...score(
          questions,
          base.map((o) => ({ ...o, declined: false })),
        ),
        time_per_query: times(base),
      }),
    );
    console.log(
      JSON.stringify({
        method: `sinapsis ${lexical.retrieval}: glossary + typo correction + scope check, whole answer through the service`,
        score: hiddenStyle(questions, lexical.outcomes),
        ...score(questions, lexical.outcomes),
        time_per_answer: times(lexical.outcomes),
        first_answer_incl_index_ms: round(lexical.firstMs),
      }),
    );
    const missed = misses(questions, lexical.outcomes);
    if (missed.length) console.log(JSON.stringify({ misses: missed }, null, 1));
    console.log(
      JSON.stringify({
        method: `sinapsis ${hybrid.retrieval} with ${path.basename(model)}`,
        score: hiddenStyle(questions, hybrid.outcomes),
        ...score(questions, hybrid.outcomes),
        time_per_answer: times(hybrid.outcomes),
        first_answer_incl_load_and_index_ms: round(hybrid.firstMs),
      }),
    );
    console.log(
      JSON.stringify({
        ratios: {
          answer_time_vs_peer_query: round(med(lexical.outcomes) / med(base), 1),
          hybrid_vs_lexical_answer_time: round(med(hybrid.outcomes) / med(lexical.outcomes), 1),
        },
      }),
    );
  }
}
