// "A neuron by hand" (/explain neuron): the weighted sum and the activation,
// step by step with the user's numbers, and a plot of the activation with this
// neuron's point on it. Pure arithmetic: no model involved.
import { SinapsisError } from '../errors.js';
import { functionPlotPng } from '../images/charts.js';
import type { Lang } from '../i18n/locale.js';
import { t } from '../i18n/messages.js';
import type { OptionValues } from '../../commands/spec.js';
import type { TaskResult } from './types.js';

export const MAX_INPUTS = 8;
const DEFAULTS = { inputs: [1, 0.5, -2], weights: [0.8, 0.6, -0.2], bias: 0.1, activation: 'sigmoid' as Activation };

export type Activation = 'sigmoid' | 'relu' | 'tanh' | 'step' | 'linear';
// formula() gets z already formatted, and −z formatted, for the sigmoid's exponent.
const ACTIVATIONS: Record<
  Activation,
  { f: (z: number) => number; formula: (z: string, lang: Lang, minusZ: string) => string }
> = {
  sigmoid: {
    f: (z) => 1 / (1 + Math.exp(-z)),
    formula: (z, _lang, minusZ) => `sigmoid(${z}) = 1 / (1 + e^${minusZ.startsWith('−') ? `(${minusZ})` : minusZ})`,
  },
  relu: { f: (z) => Math.max(0, z), formula: (z) => `ReLU(${z}) = max(0, ${z})` },
  tanh: { f: (z) => Math.tanh(z), formula: (z) => `tanh(${z})` },
  step: { f: (z) => (z >= 0 ? 1 : 0), formula: (z, lang) => t(lang, 'neuron_formula_step', { z }) },
  linear: { f: (z) => z, formula: (z, lang) => t(lang, 'neuron_formula_linear', { z }) },
};
const activationName = (lang: Lang, activation: Activation) => t(lang, 'neuron_activation_name', { activation });

/** Is this /explain call the neuron computation? "neuron"/"neurona" alone, or any of its numbers given. */
export function isNeuronRequest(options: OptionValues): boolean {
  const topic = String(options.topic ?? '')
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[^a-z ]/g, ' ')
    .trim()
    .replace(/\s+/g, ' ');
  return (
    /^(a |an |una |la |the )?(neuron|neurona|neurone|perceptron)( (by hand|a mano))?$/.test(topic) ||
    ['inputs', 'weights', 'bias', 'activation'].some((k) => options[k] !== undefined)
  );
}

/**
 * "1, 0.5, -2" or "1; 0,5; -2" (with semicolons the comma is a decimal comma,
 * as Spanish writes numbers) or "1 0.5 -2".
 */
export function parseNumbers(raw: string, option: 'inputs' | 'weights'): number[] {
  const semicolons = raw.includes(';');
  const parts = raw.split(semicolons ? /[;\s]+/ : /[,\s]+/).filter(Boolean);
  return parts.map((p) => {
    const v = Number(semicolons ? p.replace(',', '.') : p);
    if (!Number.isFinite(v) || Math.abs(v) > 1e6)
      throw new SinapsisError('neuron_input', { reason: 'number', option, value: p.slice(0, 20) });
    return v;
  });
}

export interface NeuronComputation {
  inputs: number[];
  weights: number[];
  bias: number;
  activation: Activation;
  products: number[];
  z: number;
  output: number;
}

export function computeNeuron(
  inputs: number[],
  weights: number[],
  bias: number,
  activation: Activation,
): NeuronComputation {
  if (inputs.length !== weights.length)
    throw new SinapsisError('neuron_input', { reason: 'count', inputs: inputs.length, weights: weights.length });
  if (inputs.length > MAX_INPUTS)
    throw new SinapsisError('neuron_input', { reason: 'too_many', inputs: inputs.length, max: MAX_INPUTS });
  const products = inputs.map((x, i) => x * weights[i]!);
  const z = products.reduce((a, b) => a + b, 0) + bias;
  return { inputs, weights, bias, activation, products, z, output: ACTIVATIONS[activation].f(z) };
}

/** At most 4 decimals, no trailing zeros; a decimal comma in Spanish; "−" for negatives. */
export function fmt(v: number, lang: Lang): string {
  const s = String(Math.round(v * 1e4) / 1e4 || 0).replace('-', '−');
  return lang === 'es' ? s.replace('.', ',') : s;
}

export async function neuronTask(options: OptionValues, lang: Lang): Promise<TaskResult> {
  const started = performance.now();
  const defaulted: string[] = [];
  const given = (k: string) => options[k] !== undefined && String(options[k]).trim() !== '';
  let inputs = given('inputs')
    ? parseNumbers(String(options.inputs), 'inputs')
    : (defaulted.push(t(lang, 'neuron_default_inputs')), DEFAULTS.inputs);
  if (!inputs.length) inputs = DEFAULTS.inputs;
  let filledWeights = false;
  let weights: number[];
  if (given('weights')) weights = parseNumbers(String(options.weights), 'weights');
  else if (inputs.length === DEFAULTS.weights.length)
    (weights = DEFAULTS.weights), defaulted.push(t(lang, 'neuron_default_weights'));
  else (weights = inputs.map(() => 1)), (filledWeights = true);
  const bias = given('bias') ? Number(options.bias) : (defaulted.push(t(lang, 'neuron_default_bias')), DEFAULTS.bias);
  const activation = given('activation')
    ? (String(options.activation) as Activation)
    : (defaulted.push(t(lang, 'neuron_default_activation')), DEFAULTS.activation);
  const n = computeNeuron(inputs, weights, bias, activation);

  const name = activationName(lang, activation);
  const f = (v: number) => fmt(v, lang);
  const paren = (v: number) => (v < 0 ? `(${f(v)})` : f(v));
  const lines = [
    `**${t(lang, 'neuron_title', { activation: name })}**`,
    '',
    t(lang, 'neuron_step_products'),
    ...n.products.map((p, i) => `   x${i + 1}·w${i + 1} = ${f(n.inputs[i]!)} × ${paren(n.weights[i]!)} = ${f(p)}`),
    t(lang, 'neuron_step_sum', {
      terms: [...n.products, n.bias].map((v, i) => (i === 0 ? f(v) : v < 0 ? `− ${f(-v)}` : `+ ${f(v)}`)).join(' '),
      z: f(n.z),
    }),
    t(lang, 'neuron_step_activation', {
      formula: ACTIVATIONS[activation].formula(f(n.z), lang, f(-n.z)),
      output: f(n.output),
    }),
    '',
    t(lang, 'neuron_output', { output: f(n.output) }),
    '',
    t(lang, 'neuron_why'),
    ...(filledWeights ? ['', t(lang, 'neuron_filled_weights')] : []),
    ...(defaulted.length ? ['', t(lang, 'neuron_defaults', { which: defaulted.join(', ') })] : []),
  ];
  const span = Math.max(4, Math.ceil(Math.abs(n.z) + 1.5));
  const png = await functionPlotPng(
    [t(lang, 'neuron_plot_title', { activation: name })],
    ACTIVATIONS[activation].f,
    -span,
    span,
    { x: n.z, y: n.output, label: `z = ${f(n.z)} → ${f(n.output)}` },
  );
  const text = lines.join('\n');
  return {
    text,
    images: [
      {
        name: 'neuron.png',
        mime: 'image/png',
        data: png,
        alt: t(lang, 'neuron_plot_alt', { activation: name, z: f(n.z), output: f(n.output) }),
      },
    ],
    data: {
      answer: text,
      language: lang,
      neuron: {
        inputs: n.inputs,
        weights: n.weights,
        bias: n.bias,
        activation,
        products: n.products,
        z: n.z,
        output: n.output,
      },
    },
    timings: { totalMs: performance.now() - started },
  };
}
