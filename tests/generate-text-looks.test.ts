// /generate-text's looks inside the network, on the real stories260K: next-token
// probabilities (checked against a softmax of the raw ONNX logits), the
// temperature comparison, the attention heat map (converter --attentions), and
// the q8 conversion (MatMulNBits) agreeing with fp32.
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import sharp from 'sharp';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { convertLlama2c } from '../src/models/llama2c/convert.js';
import { dequantizeQ8, quantizeQ8 } from '../src/models/llama2c/quantize.js';
import { softmax, topK } from '../src/tasks/next-token.js';
import { tempDir, testApp } from './helpers/app.js';
import { describeWith, MODELS_DIR } from './helpers/assets.js';
import { rawGreedy } from './helpers/raw-llama.js';

const llama2c = path.join(MODELS_DIR, 'stories260K-llama2c');
const PROMPT = 'Once upon a time, there was a little girl';

/** The test's own softmax (float64, written out), not the task's. */
function referenceSoftmax(row: Float32Array): number[] {
  const max = Math.max(...row);
  const e = Array.from(row, (v) => Math.exp(v - max));
  const sum = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / sum);
}

function emptyPast(layers: number, kvHeads: number, headDim: number) {
  const p: Record<string, ort.Tensor> = {};
  for (let l = 0; l < layers; l++)
    for (const kv of ['key', 'value'])
      p[`past_key_values.${l}.${kv}`] = new ort.Tensor('float32', new Float32Array(0), [1, kvHeads, 0, headDim]);
  return p;
}

async function rawForward(file: string, ids: number[]) {
  const session = await ort.InferenceSession.create(file);
  return session.run({
    input_ids: new ort.Tensor('int64', BigInt64Array.from(ids.map(BigInt)), [1, ids.length]),
    attention_mask: new ort.Tensor('int64', BigInt64Array.from(ids.map(() => 1n)), [1, ids.length]),
    position_ids: new ort.Tensor('int64', BigInt64Array.from(ids.map((_, i) => BigInt(i))), [1, ids.length]),
    ...emptyPast(5, 4, 8),
  });
}

it('softmax and top-k: sums to 1, temperature sharpens or flattens, top-k is ordered', () => {
  const logits = [2, 1, 0.5, -1, 3];
  const p = softmax(logits);
  expect(p.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
  expect(p[4]).toBeCloseTo(Math.exp(3) / logits.reduce((a, b) => a + Math.exp(b), 0), 12);
  expect(softmax(logits, 0.2)[4]).toBeGreaterThan(p[4]!);
  expect(softmax(logits, 1.5)[4]).toBeLessThan(p[4]!);
  expect(topK(p, 3).map((x) => x.id)).toEqual([4, 0, 1]);
});

it('q8 weights: every value decodes within half a quantization step of the fp32 weight', () => {
  const n = 3;
  const k = 70; // not a multiple of the block: the last block is partial
  const w = Float32Array.from({ length: n * k }, (_, i) => Math.sin(i * 1.7) * (1 + (i % 5)));
  const q = quantizeQ8(w, n, k);
  const back = dequantizeQ8(q, n, k);
  for (let i = 0; i < w.length; i++) {
    const scale = q.scales[Math.floor(i / k) * q.blocks + Math.floor((i % k) / 32)]!;
    expect(Math.abs(back[i]! - w[i]!)).toBeLessThanOrEqual(scale / 2 + 1e-7);
  }
});

describeWith(
  '/generate-text looks inside stories260K',
  [path.join(llama2c, 'stories260K.bin'), path.join(llama2c, 'tok512.model')],
  () => {
    const dir = tempDir();
    const withAttn = path.join(dir, 'attn');
    const plain = path.join(dir, 'plain');
    const q8 = path.join(dir, 'q8');
    let app: ReturnType<typeof testApp>;
    let plainApp: ReturnType<typeof testApp>;
    let q8App: ReturnType<typeof testApp>;
    beforeAll(() => {
      const src = { checkpoint: path.join(llama2c, 'stories260K.bin'), tokenizer: path.join(llama2c, 'tok512.model') };
      convertLlama2c({ ...src, outDir: withAttn, attentions: true });
      convertLlama2c({ ...src, outDir: plain });
      convertLlama2c({ ...src, outDir: q8, dtype: 'q8' });
      app = testApp({ SINAPSIS_TEXT_MODEL: withAttn });
      plainApp = testApp({ SINAPSIS_TEXT_MODEL: plain });
      q8App = testApp({ SINAPSIS_TEXT_MODEL: q8 });
    });
    afterAll(async () => {
      await app.dispose();
      await plainApp.dispose();
      await q8App.dispose();
    });
    const generate = (a: ReturnType<typeof testApp>, options: Record<string, unknown>, lang: 'es' | 'en' = 'en') =>
      a.service.run({
        command: 'generate-text',
        options: { prompt: PROMPT, 'max-new-tokens': 20, temperature: 0, ...options },
        ctx: { platform: 'test', userId: 'u', lang },
      });

    it('show-probabilities: top-5 of each of the first 5 steps, summing to ≤ 1 and equal to a softmax of the raw logits', async () => {
      const r = await generate(app, { 'show-probabilities': true });
      const probs = r.data.probabilities as {
        steps: { chosen: { id: number; p: number }; top: { id: number; p: number; token: string }[] }[];
        temperatures: { temperature: number; top: { id: number; p: number }[] }[];
      };
      expect(probs.steps).toHaveLength(5);
      // Independent check: one raw onnxruntime forward over prompt + the tokens written.
      const { AutoTokenizer } = await import('@huggingface/transformers');
      const tok = await AutoTokenizer.from_pretrained(withAttn, { local_files_only: true });
      const promptIds = Array.from(tok.encode(PROMPT));
      const written = probs.steps.map((s) => s.chosen.id);
      const out = await rawForward(path.join(withAttn, 'onnx/model.onnx'), [...promptIds, ...written]);
      const logits = out.logits!.data as Float32Array;
      probs.steps.forEach((s, i) => {
        expect(s.top).toHaveLength(5);
        const sum = s.top.reduce((a, b) => a + b.p, 0);
        expect(sum).toBeLessThanOrEqual(1 + 1e-9);
        expect(sum).toBeGreaterThan(0);
        for (let j = 1; j < 5; j++) expect(s.top[j]!.p).toBeLessThanOrEqual(s.top[j - 1]!.p);
        const ref = referenceSoftmax(logits.subarray((promptIds.length - 1 + i) * 512, (promptIds.length + i) * 512));
        for (const b of s.top) expect(b.p).toBeCloseTo(ref[b.id]!, 4);
        // Greedy: what it wrote is the likeliest token.
        expect(s.chosen.id).toBe(s.top[0]!.id);
      });
      // Temperatures: same tokens; 0.2 sharpens the top one, 1.5 flattens it.
      const [cold, one, hot] = probs.temperatures;
      expect([cold!.temperature, one!.temperature, hot!.temperature]).toEqual([0.2, 1, 1.5]);
      expect(one!.top.map((x) => x.p)).toEqual(probs.steps[0]!.top.map((x) => x.p));
      expect(cold!.top[0]!.p).toBeGreaterThan(one!.top[0]!.p);
      expect(hot!.top[0]!.p).toBeLessThan(one!.top[0]!.p);
      const ref02 = referenceSoftmax(
        logits.subarray((promptIds.length - 1) * 512, promptIds.length * 512).map((v) => v / 0.2),
      );
      expect(cold!.top[1]!.p).toBeCloseTo(ref02[cold!.top[1]!.id]!, 6);
      // Two PNG charts, the text still there, a summary line.
      expect(r.images.map((i) => i.name)).toEqual(['next-token-probabilities.png', 'temperature.png']);
      for (const img of r.images) expect((await sharp(img.data).metadata()).format).toBe('png');
      expect(r.text).toMatch(/📊 Step 1: "␣named" \d/);
      expect(r.data.text).toMatch(/^named Lily/);
    });

    it('captions and texts follow the asker: Spanish', async () => {
      const r = await generate(app, { 'show-probabilities': true }, 'es');
      expect(r.text).toMatch(/📊 Paso 1: "␣named" \d+,\d %/);
      expect(r.images[0]!.alt).toMatch(/probabilidades del siguiente token/);
      expect(r.images[1]!.alt).toMatch(/temperatura 0,2, 1,0 y 1,5/);
    });

    it('sampling: the token it wrote is marked even when it is not the likeliest', async () => {
      const r = await generate(app, { 'show-probabilities': true, temperature: 1.5, seed: 11, 'max-new-tokens': 8 });
      const steps = (r.data.probabilities as { steps: { chosen: { id: number; p: number } }[] }).steps;
      for (const s of steps) expect(s.chosen.p).toBeGreaterThan(0);
    });

    it('show-attention: the last layer heat map over the prompt, rows of the raw output summing to 1', async () => {
      const r = await generate(app, { 'show-attention': true }, 'es');
      const attn = r.data.attention as { layer: number; heads: number; tokens: string[] };
      expect(attn.layer).toBe(4);
      expect(attn.heads).toBe(8);
      expect(attn.tokens.slice(0, 3)).toEqual(['"<s>"', '"␣Once"', '"␣upon"']);
      const img = r.images.find((i) => i.name === 'attention.png')!;
      expect(img.alt).toMatch(/Mapa de calor de la atención de 8 cabezas/);
      const meta = await sharp(img.data).metadata();
      expect(meta.format).toBe('png');
      expect(meta.width).toBeGreaterThan(400);
      const out = await rawForward(path.join(withAttn, 'onnx/model.onnx'), [1, 403, 407, 261, 378]);
      const a = out['attentions.4']!;
      expect(a.dims).toEqual([1, 8, 5, 5]);
      const d = a.data as Float32Array;
      for (let row = 0; row < 8 * 5; row++)
        expect(d.subarray(row * 5, row * 5 + 5).reduce((x, y) => x + y, 0)).toBeCloseTo(1, 5);
      expect(d[1]).toBe(0); // causal: the first token cannot look ahead
    });

    it('blocklisted terms are masked in the charts too', async () => {
      const masked = testApp({ SINAPSIS_TEXT_MODEL: withAttn, SINAPSIS_BLOCKLIST: 'Lily' });
      try {
        const r = await generate(masked, {
          'show-probabilities': true,
          'show-attention': true,
          prompt: 'Lily and Lily',
        });
        expect(JSON.stringify(r.data)).not.toMatch(/Lily/);
        expect((r.data.attention as { tokens: string[] }).tokens[1]).toBe('"␣****"');
      } finally {
        await masked.dispose();
      }
    });

    it('show-attention on a model without attention outputs: a clear localized note, the text still answers', async () => {
      const es = await generate(plainApp, { 'show-attention': true }, 'es');
      expect(es.images).toHaveLength(0);
      expect(es.text).toMatch(/no expone su atención/);
      expect(es.data.attention).toBeNull();
      const en = await generate(plainApp, { 'show-attention': true, 'show-probabilities': true }, 'en');
      expect(en.text).toMatch(/does not expose its attention/);
      expect(en.images.map((i) => i.name)).toEqual(['next-token-probabilities.png', 'temperature.png']);
    });

    it('q8 (MatMulNBits int8 weights): the first 40 greedy tokens agree with fp32', async () => {
      const fp = await generate(plainApp, { 'max-new-tokens': 40, prompt: 'Once upon a time' });
      const q = await generate(q8App, { 'max-new-tokens': 40, prompt: 'Once upon a time' });
      const session = await ort.InferenceSession.create(path.join(q8, 'onnx/model_quantized.onnx'));
      const f32 = await ort.InferenceSession.create(path.join(plain, 'onnx/model.onnx'));
      const a = await rawGreedy(f32, [1, 403, 407, 261, 378], 40, { layers: 5, kvHeads: 4, headDim: 8, cache: true });
      const b = await rawGreedy(session, [1, 403, 407, 261, 378], 40, {
        layers: 5,
        kvHeads: 4,
        headDim: 8,
        cache: true,
      });
      const agree = a.ids.filter((id, i) => b.ids[i] === id).length;
      console.log(`q8 vs fp32, stories260K: ${agree}/40 greedy tokens agree`);
      expect(agree).toBeGreaterThanOrEqual(36);
      expect(q.data.tokens).toBe(40);
      // Through the pipeline too (the registry loads model_quantized.onnx for a q8 folder).
      if (agree === 40) expect(q.data.text).toBe(fp.data.text);
    });
  },
);

it('top-k over a large vocabulary equals a full sort', () => {
  let seed = 5;
  const values = Float64Array.from({ length: 50_000 }, () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  values[123] = values[77]!; // a tie
  const sorted = Array.from(values.keys())
    .sort((a, b) => values[b]! - values[a]! || a - b)
    .slice(0, 5);
  expect(topK(values, 5).map((x) => x.id)).toEqual(sorted);
  expect(topK([1, 3, 3, 2], 3).map((x) => x.id)).toEqual([1, 2, 3]);
});

// Any text model: the reference stories260K export (optimum's graph, not our converter's).
const reference = path.join(MODELS_DIR, 'stories260K');
describeWith(
  '/generate-text looks inside another export (reference stories260K)',
  [path.join(reference, 'onnx/model.onnx')],
  () => {
    let app: ReturnType<typeof testApp>;
    beforeAll(() => {
      app = testApp({ SINAPSIS_TEXT_MODEL: reference });
    });
    afterAll(() => app.dispose());

    it('probabilities from its own logits; no attention outputs, said in Spanish', async () => {
      const r = await app.service.run({
        command: 'generate-text',
        options: {
          prompt: 'Once upon a time',
          'max-new-tokens': 10,
          temperature: 0,
          'show-probabilities': true,
          'show-attention': true,
        },
        ctx: { platform: 'test', userId: 'u', lang: 'es' },
      });
      const steps = (r.data.probabilities as { steps: { top: { p: number }[] }[] }).steps;
      expect(steps).toHaveLength(5);
      for (const s of steps) expect(s.top.reduce((a, b) => a + b.p, 0)).toBeLessThanOrEqual(1 + 1e-9);
      expect(r.images.map((i) => i.name)).toEqual(['next-token-probabilities.png', 'temperature.png']);
      expect(r.text).toMatch(/stories260K no expone su atención/);
    });
  },
);
