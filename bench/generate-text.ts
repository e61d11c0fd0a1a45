// /generate-text on stories260K: tokens/s through transformers.js (the task's own code
// path, streaming on) against a minimal raw onnxruntime-node greedy loop with KV cache,
// interleaved in one run; time to first token; RSS with all three language/vision tasks loaded.
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';
import { convertLlama2c } from '../src/models/llama2c/convert.js';
import { testApp } from '../tests/helpers/app.js';
import { rawGreedy } from '../tests/helpers/raw-llama.js';
import { median, round } from './lib/stats.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export async function run(args: string[]) {
  const rounds = Number(args[args.indexOf('--rounds') + 1]) || 10;
  const tokens = 200;
  const modelsDir = path.resolve(process.env.SINAPSIS_MODELS_DIR ?? path.join(ROOT, '../shared/models'));
  const out = path.join(os.tmpdir(), `sinapsis-bench-stories260K-${process.pid}`);
  const src = path.join(modelsDir, 'stories260K-llama2c');
  const t0 = performance.now();
  convertLlama2c({
    checkpoint: path.join(src, 'stories260K.bin'),
    tokenizer: path.join(src, 'tok512.model'),
    outDir: out,
  });
  const convertMs = performance.now() - t0;

  const app = testApp({ SINAPSIS_TEXT_MODEL: out, SINAPSIS_MODELS_DIR: modelsDir });
  const rssBefore = process.memoryUsage().rss;
  const ask = () =>
    app.service.run({
      command: 'generate-text',
      options: { prompt: 'Once upon a time', 'max-new-tokens': tokens, temperature: 0 },
      ctx: { platform: 'bench', userId: 'b', lang: 'en' },
    });
  await ask(); // load + warm
  const session = await ort.InferenceSession.create(path.join(out, 'onnx/model.onnx'));
  const prompt = [1, 403, 407, 261, 378];
  await rawGreedy(session, prompt, 10, { layers: 5, kvHeads: 4, headDim: 8, cache: true });

  const pipe: { rate: number; ttft: number }[] = [];
  const raw: { rate: number; ttft: number }[] = [];
  for (let r = 0; r < rounds; r++) {
    const res = await ask();
    const n = res.data.tokens as number;
    pipe.push({ rate: res.data.tokens_per_s as number, ttft: res.data.time_to_first_token_ms as number });
    const g = await rawGreedy(session, prompt, n, { layers: 5, kvHeads: 4, headDim: 8, cache: true });
    raw.push({ rate: g.ids.length / (g.ms / 1000), ttft: g.firstTokenMs });
  }

  // All three tasks resident: the text model, the face detector, the tutor's index.
  await app.service.run({
    command: 'explain',
    options: { topic: 'what is a transformer' },
    ctx: { platform: 'bench', userId: 'b', lang: 'en' },
  });
  await app.service
    .run({
      command: 'detect-faces',
      options: {},
      images: { image: readFileSync(path.join(modelsDir, '../data/faces-dlib/2008_001009.jpg')) },
      ctx: { platform: 'bench', userId: 'b', lang: 'en' },
    })
    .catch(() => undefined);
  const rssAll = process.memoryUsage().rss;
  await app.dispose();

  const pipeRate = median(pipe.map((p) => p.rate));
  const rawRate = median(raw.map((p) => p.rate));
  const report = {
    model: 'stories260K (converted by convert-llama2c)',
    convert_ms: round(convertMs),
    tokens_per_run: tokens,
    rounds,
    pipeline: { tokens_per_s: round(pipeRate, 1), time_to_first_token_ms: round(median(pipe.map((p) => p.ttft))) },
    raw_onnxruntime_kv_cache: {
      tokens_per_s: round(rawRate, 1),
      time_to_first_token_ms: round(median(raw.map((p) => p.ttft))),
    },
    rss_mb: {
      before_models: round(rssBefore / 2 ** 20, 1),
      with_all_tasks_loaded: round(rssAll / 2 ** 20, 1),
      peak: round(process.resourceUsage().maxRSS / 1024, 1),
    },
  };
  console.log(JSON.stringify(report, null, 2));
  console.log(
    JSON.stringify({
      pipeline_tokens_per_s: report.pipeline.tokens_per_s,
      raw_tokens_per_s: report.raw_onnxruntime_kv_cache.tokens_per_s,
      overhead: round(rawRate / pipeRate, 3),
    }),
  );
}
