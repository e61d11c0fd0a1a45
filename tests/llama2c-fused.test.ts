// convert-llama2c's fused attention (RotaryEmbedding + MultiHeadAttention, used when
// a model has as many KV heads as heads, like llama2.c's 110M) computes what the
// plain-operator graph computes, with and without the KV cache, in fp32 and q8,
// and loads in the /generate-text pipeline. A small random checkpoint stands in.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { writeRandomCheckpoint } from '../bench/lib/random-llama2c.js';
import { readCheckpoint } from '../src/models/llama2c/checkpoint.js';
import { convertLlama2c } from '../src/models/llama2c/convert.js';
import { buildLlamaOnnx } from '../src/models/llama2c/onnx-graph.js';
import { tempDir, testApp } from './helpers/app.js';
import { describeWith, MODELS_DIR } from './helpers/assets.js';
import { rawGreedy } from './helpers/raw-llama.js';

const SHAPE = { dim: 64, hiddenDim: 160, nLayers: 2, nHeads: 4, vocabSize: 512, seqLen: 64 };
const dir = tempDir();
const checkpoint = path.join(dir, 'tiny.bin');
writeRandomCheckpoint(checkpoint, SHAPE, 7);

function feeds(ids: number[], start: number, past?: ort.InferenceSession.OnnxValueMapType) {
  const f: Record<string, ort.Tensor> = {
    input_ids: new ort.Tensor('int64', BigInt64Array.from(ids.map(BigInt)), [1, ids.length]),
    attention_mask: new ort.Tensor('int64', new BigInt64Array(start + ids.length).fill(1n), [1, start + ids.length]),
    position_ids: new ort.Tensor('int64', BigInt64Array.from(ids.map((_, i) => BigInt(start + i))), [1, ids.length]),
  };
  for (let l = 0; l < SHAPE.nLayers; l++)
    for (const kv of ['key', 'value'])
      f[`past_key_values.${l}.${kv}`] =
        (past?.[`present.${l}.${kv}`] as ort.Tensor) ?? new ort.Tensor('float32', new Float32Array(0), [1, 4, 0, 16]);
  return f;
}

async function logitsOf(model: Uint8Array): Promise<Float32Array[]> {
  const s = await ort.InferenceSession.create(model, { logSeverityLevel: 3 });
  const a = await s.run(feeds([1, 403, 407, 261, 378], 0));
  const b = await s.run(feeds([100], 5, a));
  const c = await s.run(feeds([200], 6, b));
  return [a, b, c].flatMap((o) => [o.logits!.data as Float32Array, o['present.1.key']!.data as Float32Array]);
}

it.each(['fp32', 'q8'] as const)(
  'fused attention equals the plain graph (%s): prefill and two cached steps',
  async (dtype) => {
    const { config, weights } = readCheckpoint(readFileSync(checkpoint));
    const plain = buildLlamaOnnx(config, weights, { dtype, fused: false });
    const fused = buildLlamaOnnx(config, weights, { dtype });
    expect(Buffer.from(fused).includes(Buffer.from('MultiHeadAttention'))).toBe(true);
    expect(Buffer.from(plain).includes(Buffer.from('MultiHeadAttention'))).toBe(false);
    const [x, y] = [await logitsOf(plain), await logitsOf(fused)];
    x.forEach((arr, i) => {
      expect(y[i]!.length).toBe(arr.length);
      let max = 0;
      for (let j = 0; j < arr.length; j++) max = Math.max(max, Math.abs(arr[j]! - y[i]![j]!));
      // q8 also quantizes activations (accuracy_level 4): a last-bit difference can flip one rounding.
      expect(max).toBeLessThan(dtype === 'q8' ? 2e-3 : 1e-4);
    });
  },
);

describeWith(
  'fused conversion through the /generate-text pipeline',
  [path.join(MODELS_DIR, 'stories260K-llama2c/tok512.model')],
  () => {
    const out = path.join(dir, 'converted');
    let app: ReturnType<typeof testApp>;
    beforeAll(() => {
      convertLlama2c({ checkpoint, tokenizer: path.join(MODELS_DIR, 'stories260K-llama2c/tok512.model'), outDir: out });
      app = testApp({ SINAPSIS_TEXT_MODEL: out });
    });
    afterAll(() => app.dispose());

    it('greedy tokens equal a raw loop over the plain graph', async () => {
      const { config, weights } = readCheckpoint(readFileSync(checkpoint));
      const plain = await ort.InferenceSession.create(buildLlamaOnnx(config, weights, { fused: false }), {
        logSeverityLevel: 3,
      });
      const r = await app.service.run({
        command: 'generate-text',
        options: { prompt: 'Once upon a time', 'max-new-tokens': 12, temperature: 0, 'show-probabilities': true },
        ctx: { platform: 'test', userId: 'u', lang: 'en' },
      });
      const want = await rawGreedy(plain, [1, 403, 407, 261, 378], 12, {
        layers: 2,
        kvHeads: 4,
        headDim: 16,
        cache: true,
        stopIds: [1, 2],
      });
      const steps = (r.data.probabilities as { steps: { chosen: { id: number } }[] }).steps.map((s) => s.chosen.id);
      expect(steps).toEqual(want.ids.slice(0, steps.length));
      expect(r.data.tokens).toBe(want.ids.length);
    });
  },
);
