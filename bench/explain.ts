// /explain retrieval: top-1 accuracy on the question set (half Spanish), and time per query:
// BM25 alone, then BM25 fused with a sentence-embedding model (SINAPSIS_EMBEDDING_MODEL, by
// default the tiny random-weight fixture, whose accuracy only shows the fusion's plumbing).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { detectLang } from '../src/i18n/detect.js';
import { KnowledgeIndex } from '../src/knowledge/index.js';
import pino from 'pino';
import { loadConfig } from '../src/config/index.js';
import { createApp } from '../src/core/app.js';
import { median, round } from './lib/stats.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export async function run() {
  const questions: { q: string; id: string }[] = JSON.parse(readFileSync(path.join(ROOT, 'tests/fixtures/explain-questions.json'), 'utf8'));
  const t0 = performance.now();
  const index = new KnowledgeIndex();
  const buildMs = performance.now() - t0;
  const stats = { es: { ok: 0, n: 0 }, en: { ok: 0, n: 0 } };
  const times: number[] = [];
  const misses: string[] = [];
  for (const { q, id } of questions) {
    const lang = (await detectLang(q)) ?? 'es';
    const t = performance.now();
    const top = index.query(q)[0]?.section.id;
    times.push(performance.now() - t);
    stats[lang].n++;
    if (top === id) stats[lang].ok++;
    else misses.push(`${q} → ${top} (expected ${id})`);
  }
  const ok = stats.es.ok + stats.en.ok;
  console.log(JSON.stringify({ questions: questions.length, by_language: stats, misses, index_build_ms: round(buildMs) }, null, 2));
  console.log(JSON.stringify({ top1: round(ok / questions.length, 3), top1_es: round(stats.es.ok / stats.es.n, 3), top1_en: round(stats.en.ok / stats.en.n, 3), query_median_ms: round(median(times), 3) }));

  await hybrid(questions);
}

async function hybrid(questions: { q: string; id: string }[]) {
  const model = process.env.SINAPSIS_EMBEDDING_MODEL ?? path.join(ROOT, 'tests/fixtures/models/bert-tiny-embed');
  const app = createApp(loadConfig({ ...process.env, SINAPSIS_EMBEDDING_MODEL: model, SINAPSIS_DATA_DIR: path.join(ROOT, '.bench-data') }, { dotenv: false }), { logger: pino({ level: 'silent' }) });
  try {
    const ask = (topic: string) => app.service.run({ command: 'explain', options: { topic }, ctx: { platform: 'bench', userId: 'b', lang: 'es' } });
    const t0 = performance.now();
    await ask('warm-up: ¿qué es una neurona?');
    const firstMs = performance.now() - t0;
    let ok = 0;
    const times: number[] = [];
    for (const { q, id } of questions) {
      const r = await ask(q);
      times.push(r.timings.retrievalMs!);
      if ((r.data.sources as { id: string }[])[0]?.id === id) ok++;
    }
    console.log(JSON.stringify({ embedding_model: path.basename(model), hybrid_top1: round(ok / questions.length, 3), first_query_incl_load_and_index_ms: round(firstMs), hybrid_query_median_ms: round(median(times), 3) }));
  } finally {
    await app.close();
  }
}
