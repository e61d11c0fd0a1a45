// /generate-text at a realistic size: a random-weight checkpoint with llama2.c's
// 110M shape (written here, under the git-ignored .bench-data/), converted by
// convert-llama2c in fp32 and q8, timed through the task's own pipeline, beside
// llama2.c's run.c on the same checkpoint. run.c is not part of this repository:
// build it yourself (gcc -Ofast -fopenmp -march=native run.c -lm) and pass its
// path in SINAPSIS_BENCH_LLAMA2C_RUN; without it the peer is skipped.
// Rounds interleave run.c, fp32 and q8, so a busy machine slows all three alike.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { convertLlama2c } from '../src/models/llama2c/convert.js';
import { testApp } from '../tests/helpers/app.js';
import { SHAPE_110M, writeRandomCheckpoint } from './lib/random-llama2c.js';
import { median, round } from './lib/stats.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const PROMPT = 'Once upon a time';

export async function run(args: string[]) {
  const rounds = Number(args[args.indexOf('--rounds') + 1]) || 3;
  const tokens = Number(args[args.indexOf('--tokens') + 1]) || 128;
  const threads = Number(process.env.OMP_NUM_THREADS) || 2;
  const modelsDir = path.resolve(process.env.SINAPSIS_MODELS_DIR ?? path.join(ROOT, '../shared/models'));
  const tok = path.join(modelsDir, 'stories260K-llama2c');
  const data = path.join(ROOT, '.bench-data/random110M');
  mkdirSync(data, { recursive: true });
  const checkpoint = path.join(data, 'model.bin');
  if (!existsSync(checkpoint)) {
    const t0 = performance.now();
    writeRandomCheckpoint(checkpoint, SHAPE_110M);
    console.error(
      `wrote ${checkpoint} (${round(statSync(checkpoint).size / 2 ** 20)} MiB) in ${round(performance.now() - t0)} ms`,
    );
  }
  for (const f of ['tok512.model', 'tok512.bin']) copyFileSync(path.join(tok, f), path.join(data, f));
  const converted: Record<string, { dir: string; ms: number; mb: number }> = {};
  for (const dtype of ['fp32', 'q8'] as const) {
    const dir = path.join(ROOT, `.bench-data/random110M-${dtype}`);
    const t0 = performance.now();
    const file = path.join(dir, dtype === 'q8' ? 'onnx/model_quantized.onnx' : 'onnx/model.onnx');
    convertLlama2c({ checkpoint, tokenizer: path.join(data, 'tok512.model'), outDir: dir, dtype });
    converted[dtype] = { dir, ms: performance.now() - t0, mb: statSync(file).size / 2 ** 20 };
  }

  const runC = process.env.SINAPSIS_BENCH_LLAMA2C_RUN;
  const peer = runC && existsSync(runC) ? runC : undefined;
  if (!peer) console.error('SINAPSIS_BENCH_LLAMA2C_RUN is not set (or missing): run.c peer skipped');
  const runPeer = () => {
    // -n counts positions, prompt included; run.c prints "achieved tok/s" on stderr.
    const r = spawnSync(
      peer!,
      [checkpoint, '-z', path.join(data, 'tok512.bin'), '-t', '0', '-n', String(tokens + 5), '-i', PROMPT],
      {
        env: { ...process.env, OMP_NUM_THREADS: String(threads) },
        encoding: 'utf8',
      },
    );
    const m = /achieved tok\/s: ([\d.]+)/.exec(r.stderr);
    if (!m) throw new Error(`run.c failed: ${r.stderr.slice(0, 500)}`);
    return Number(m[1]);
  };

  // Same thread count for both sides: OpenMP's for run.c, onnxruntime's intra-op pool for ours.
  const env = { SINAPSIS_ORT_THREADS: String(threads) };
  const apps = {
    fp32: testApp({ ...env, SINAPSIS_TEXT_MODEL: converted.fp32!.dir }),
    q8: testApp({ ...env, SINAPSIS_TEXT_MODEL: converted.q8!.dir }),
  };
  const ask = async (dtype: 'fp32' | 'q8') => {
    const res = await apps[dtype].service.run({
      command: 'generate-text',
      options: { prompt: PROMPT, 'max-new-tokens': tokens, temperature: 0 },
      ctx: { platform: 'bench', userId: 'b', lang: 'en' },
    });
    if (res.data.tokens !== tokens) throw new Error(`expected ${tokens} tokens, got ${res.data.tokens}`);
    return res.data.tokens_per_s as number;
  };
  await ask('fp32'); // load + warm
  await ask('q8');
  const rates: Record<'runc' | 'fp32' | 'q8', number[]> = { runc: [], fp32: [], q8: [] };
  for (let r = 0; r < rounds; r++) {
    if (peer) rates.runc.push(runPeer());
    rates.fp32.push(await ask('fp32'));
    rates.q8.push(await ask('q8'));
  }
  await apps.fp32.dispose();
  await apps.q8.dispose();

  const m = { runc: peer ? median(rates.runc) : undefined, fp32: median(rates.fp32), q8: median(rates.q8) };
  console.log(
    JSON.stringify(
      {
        model: 'random weights, llama2.c 110M shape (dim 768, hidden 2048, 12 layers, 12 heads, vocab 512)',
        tokens_per_run: tokens,
        rounds,
        threads,
        convert: Object.fromEntries(
          Object.entries(converted).map(([k, v]) => [k, { ms: round(v.ms), onnx_mib: round(v.mb, 1) }]),
        ),
        tokens_per_s: {
          run_c: m.runc === undefined ? null : round(m.runc, 1),
          pipeline_fp32: round(m.fp32, 1),
          pipeline_q8: round(m.q8, 1),
        },
        per_round: rates,
        ratio_vs_run_c: m.runc ? { fp32: round(m.fp32 / m.runc, 2), q8: round(m.q8 / m.runc, 2) } : null,
        // Each round's own ratio: the peer and ours ran seconds apart, under the same load.
        paired_ratio_median: peer
          ? {
              fp32: round(median(rates.fp32.map((v, i) => v / rates.runc[i]!)), 2),
              q8: round(median(rates.q8.map((v, i) => v / rates.runc[i]!)), 2),
            }
          : null,
      },
      null,
      2,
    ),
  );
}
