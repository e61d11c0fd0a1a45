// /explain neuron: the weighted sum and the activation, checked against a hand computation.
import sharp from 'sharp';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { computeNeuron, fmt, isNeuronRequest, parseNumbers } from '../src/tasks/neuron.js';
import { testApp } from './helpers/app.js';

let app: ReturnType<typeof testApp>;
beforeAll(() => {
  app = testApp();
});
afterAll(() => app.dispose());
const explain = (options: Record<string, unknown>, lang: 'es' | 'en' = 'en') =>
  app.service.run({ command: 'explain', options, ctx: { platform: 'test', userId: 'u', lang } });

it('computes like a hand calculation, for every activation', () => {
  // 1·0.8 + 0.5·0.6 + (−2)·(−0.2) + 0.1 = 0.8 + 0.3 + 0.4 + 0.1 = 1.6
  const base = computeNeuron([1, 0.5, -2], [0.8, 0.6, -0.2], 0.1, 'sigmoid');
  expect(base.products.map((p) => Math.round(p * 1e9) / 1e9)).toEqual([0.8, 0.3, 0.4]);
  expect(base.z).toBeCloseTo(1.6, 12);
  expect(base.output).toBeCloseTo(1 / (1 + Math.exp(-1.6)), 12); // 0.8320...
  expect(computeNeuron([2, -3], [1, 1], -0.5, 'relu').output).toBe(0); // z = −1.5
  expect(computeNeuron([2, 3], [1, 1], -0.5, 'relu').output).toBeCloseTo(4.5, 12);
  expect(computeNeuron([1], [0.5], 0, 'tanh').output).toBeCloseTo(Math.tanh(0.5), 12);
  expect(computeNeuron([1], [-0.5], 0, 'step').output).toBe(0);
  expect(computeNeuron([1], [0], 0, 'step').output).toBe(1); // step(0) = 1
  expect(computeNeuron([3], [2], 1, 'linear').output).toBe(7);
});

it('reads numbers written either way', () => {
  expect(parseNumbers('1, 0.5, -2', 'inputs')).toEqual([1, 0.5, -2]);
  expect(parseNumbers('1; 0,5; -2', 'inputs')).toEqual([1, 0.5, -2]);
  expect(parseNumbers('1 0.5 -2', 'inputs')).toEqual([1, 0.5, -2]);
  expect(fmt(-0.2, 'es')).toBe('−0,2');
  expect(fmt(1 / 3, 'en')).toBe('0.3333');
});

it('"neuron", "neurona" or any neuron option selects it; other questions still go to the notes', () => {
  expect(isNeuronRequest({ topic: 'neuron' })).toBe(true);
  expect(isNeuronRequest({ topic: 'Neurona' })).toBe(true);
  expect(isNeuronRequest({ topic: 'una neurona a mano' })).toBe(true);
  expect(isNeuronRequest({ topic: 'que es una red', bias: 1 })).toBe(true);
  expect(isNeuronRequest({ topic: '¿qué es una neurona artificial?' })).toBe(false);
  expect(isNeuronRequest({ topic: 'what is a convolution?' })).toBe(false);
});

it('/explain neuron in Spanish: each step with the user numbers, and a PNG of the activation with the point', async () => {
  const r = await explain(
    { topic: 'neurona', inputs: '1; 0,5; -2', weights: '0,8; 0,6; -0,2', bias: -0.5, activation: 'relu' },
    'es',
  );
  expect(r.text).toContain('x3·w3 = −2 × (−0,2) = 0,4');
  expect(r.text).toContain('z = 0,8 + 0,3 + 0,4 − 0,5 = 1');
  expect(r.text).toContain('ReLU(1) = max(0, 1) = 1');
  expect(r.text).toContain('Salida de la neurona: **1**');
  const neuron = r.data.neuron as { z: number; output: number; products: number[] };
  expect(neuron.z).toBeCloseTo(1, 12);
  expect(neuron.output).toBeCloseTo(1, 12);
  expect(r.images).toHaveLength(1);
  expect(r.images[0]!.alt).toBe('Gráfico de ReLU con el punto z = 1, salida 1');
  const meta = await sharp(r.images[0]!.data).metadata();
  expect(meta.format).toBe('png');
  // The point is drawn in orange (#e0531f) somewhere on the plot.
  const { data, info } = await sharp(r.images[0]!.data).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  let orange = 0;
  for (let i = 0; i < data.length; i += info.channels)
    if (data[i]! > 200 && data[i + 1]! > 60 && data[i + 1]! < 110 && data[i + 2]! < 60) orange++;
  expect(orange).toBeGreaterThan(20);
});

it('/explain neuron alone in English: example values, said so; sigmoid of a negative sum', async () => {
  const r = await explain({ topic: 'neuron' });
  expect(r.text).toContain('z = 0.8 + 0.3 + 0.4 + 0.1 = 1.6');
  expect(r.text).toContain('sigmoid(1.6) = 1 / (1 + e^(−1.6)) = 0.832');
  expect(r.text).toMatch(/Example values for what you left out: inputs, weights, bias, activation/);
  const neg = await explain({ topic: 'neuron', inputs: '1', weights: '-2', bias: 0, activation: 'sigmoid' });
  expect(neg.text).toContain('sigmoid(−2) = 1 / (1 + e^2) = 0.1192');
  const filled = await explain({ topic: 'neuron', inputs: '2, 3', bias: 1, activation: 'linear' });
  expect(filled.text).toContain('z = 2 + 3 + 1 = 6');
  expect(filled.text).toMatch(/each input gets weight 1/);
});

it('bad numbers get a clear localized error and the next request still works', async () => {
  await expect(explain({ topic: 'neuron', inputs: '1, 2', weights: '3' }, 'es')).rejects.toMatchObject({
    code: 'neuron_input',
  });
  const err = await explain({ topic: 'neuron', inputs: '1, dos', weights: '3, 4' }, 'es').catch((e) => e);
  expect(err.localized('es')).toBe(
    '"dos" en entradas no es un número. Escribí números separados por comas (1, 0.5, -2) o por punto y coma (1; 0,5; -2).',
  );
  expect(
    (
      await explain({ topic: 'neuron', inputs: '1,2,3,4,5,6,7,8,9', weights: '1,1,1,1,1,1,1,1,1' }).catch((e) => e)
    ).localized('en'),
  ).toBe('At most 8 inputs, please (there were 9).');
  await expect(explain({ topic: 'neuron', activation: 'softmax' })).rejects.toMatchObject({ code: 'invalid_option' });
  expect((await explain({ topic: 'neuron', bias: 2 })).data.neuron).toBeTruthy();
});

it('the explain button of a generation names the "show-…" switches, in the asker\'s language', async () => {
  const { explainResult } = await import('../src/adapters/result-explainer.js');
  expect(explainResult(app.models, 'generate-text', undefined, 'es')).toMatch(
    /mostrar-probabilidades:true, mostrar-atencion:true/,
  );
  expect(explainResult(app.models, 'generate-text', undefined, 'en')).toMatch(
    /show-probabilities:true, show-attention:true/,
  );
  expect(explainResult(app.models, 'translate', undefined, 'en')).not.toMatch(/look inside/);
});
