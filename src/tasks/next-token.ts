// "Looks inside" a text generation: the model's own next-token distributions
// (softmax of its logits) for the first steps, the same step at three
// temperatures, and, for models that output them, the last layer's attention
// over the prompt. One extra forward pass over prompt + the first generated
// tokens gives all of it; nothing here changes what was generated.
import type { TextGenerationPipeline } from '@huggingface/transformers';
import { Tensor } from '@huggingface/transformers';

export const LOOK_STEPS = 5;
export const TOP = 5;
export const TEMPERATURES = [0.2, 1, 1.5] as const;
/** The heat map stays readable up to this many prompt tokens. */
export const MAX_ATTENTION_TOKENS = 24;

/** softmax(logits / temperature), computed stably in float64. */
export function softmax(logits: ArrayLike<number>, temperature = 1): Float64Array {
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) max = Math.max(max, logits[i]! / temperature);
  const out = new Float64Array(logits.length);
  let sum = 0;
  for (let i = 0; i < logits.length; i++) sum += out[i] = Math.exp(logits[i]! / temperature - max);
  for (let i = 0; i < out.length; i++) out[i]! /= sum;
  return out;
}

/** The k largest entries, largest first (ties: lower id first). */
export function topK(values: ArrayLike<number>, k: number): { id: number; p: number }[] {
  // One pass keeping the k best in order: vocabularies reach 150k tokens, k is 5.
  const best: number[] = [];
  for (let i = 0; i < values.length; i++) {
    if (best.length === k && values[i]! <= values[best[k - 1]!]!) continue;
    let at = best.length;
    while (at > 0 && values[i]! > values[best[at - 1]!]!) at--;
    best.splice(at, 0, i);
    if (best.length > k) best.pop();
  }
  return best.map((id) => ({ id, p: values[id]! }));
}

export interface TokenProb {
  id: number;
  token: string;
  p: number;
}
export interface StepLook {
  /** The token the generation actually wrote at this step. */
  chosen: { id: number; token: string; p: number };
  top: TokenProb[];
}
export interface Looks {
  steps: StepLook[];
  /** Step 1's top tokens (at temperature 1) and their probabilities at each temperature. */
  temperatures: { temperature: number; top: TokenProb[]; topMass: number }[];
  /** Raw logits of step 1, so callers (and tests) can check the softmax. */
  firstLogits: Float32Array;
  /** Last layer's attention over the prompt, [heads][query][key], when the model outputs it. */
  attention?: { layer: number; heads: number[][][]; tokens: string[]; totalTokens: number };
}

const pieceTables = new WeakMap<object, Map<number, string>>();
/** id → raw piece ("▁Once", "Ġthe"), from the tokenizer's vocabulary. */
function pieceOf(tokenizer: TextGenerationPipeline['tokenizer'], id: number): string | undefined {
  let table = pieceTables.get(tokenizer);
  if (!table) {
    const vocab = (
      tokenizer as unknown as { get_vocab?: () => Map<string, number> | Record<string, number> }
    ).get_vocab?.();
    const entries = vocab instanceof Map ? [...vocab.entries()] : Object.entries(vocab ?? {});
    table = new Map(entries.map(([piece, i]) => [i, piece]));
    pieceTables.set(tokenizer, table);
  }
  return table.get(id);
}

/** A token as a reader sees it: decoded, quoted, spaces (␣) and line breaks visible. */
export function tokenLabel(tokenizer: TextGenerationPipeline['tokenizer'], id: number): string {
  const piece = pieceOf(tokenizer, id);
  let text = tokenizer.decode([id], { skip_special_tokens: false });
  // SentencePiece/GPT-2 pieces mark a leading space that decode() of one token drops.
  if (piece && /^[▁Ġ]/.test(piece) && !text.startsWith(' ')) text = ` ${text}`;
  return `"${text.replace(/\n/g, '\\n').replace(/ /g, '␣')}"`;
}

/**
 * One forward pass over prompt + the first generated tokens: the model's own
 * logits for each of the first steps, and its attention outputs when it has them.
 */
export async function lookInside(
  generator: TextGenerationPipeline,
  promptIds: number[],
  newIds: number[],
  opts: { attention: boolean },
): Promise<Looks> {
  const steps = Math.min(LOOK_STEPS, newIds.length);
  const ids = [...promptIds, ...newIds.slice(0, Math.max(0, steps - 1))];
  const input_ids = new Tensor('int64', BigInt64Array.from(ids.map(BigInt)), [1, ids.length]);
  const attention_mask = new Tensor('int64', new BigInt64Array(ids.length).fill(1n), [1, ids.length]);
  const out = (await (generator.model as unknown as (x: object) => Promise<Record<string, Tensor>>)({
    input_ids,
    attention_mask,
  })) as Record<string, Tensor>;
  const logits = out.logits!;
  const vocab = logits.dims.at(-1)!;
  const all = logits.data as Float32Array;
  const tok = generator.tokenizer;
  const label = (id: number) => tokenLabel(tok, id);
  const rowAt = (step: number) =>
    all.subarray((promptIds.length - 1 + step) * vocab, (promptIds.length + step) * vocab);
  const looks: StepLook[] = [];
  for (let s = 0; s < steps; s++) {
    const probs = softmax(rowAt(s));
    const chosen = newIds[s]!;
    looks.push({
      chosen: { id: chosen, token: label(chosen), p: probs[chosen]! },
      top: topK(probs, TOP).map((t) => ({ ...t, token: label(t.id) })),
    });
  }
  const firstLogits = Float32Array.from(rowAt(0));
  const base = topK(softmax(firstLogits), TOP);
  const temperatures = TEMPERATURES.map((temperature) => {
    const probs = softmax(firstLogits, temperature);
    const top = base.map((b) => ({ id: b.id, token: label(b.id), p: probs[b.id]! }));
    return { temperature, top, topMass: top.reduce((a, b) => a + b.p, 0) };
  });
  return {
    steps: looks,
    temperatures,
    firstLogits,
    ...(opts.attention ? { attention: lastLayerAttention(out, promptIds, label) } : {}),
  };
}

/** The last `attentions.N` output, cut to the prompt's tokens: [head][query][key]. */
function lastLayerAttention(
  out: Record<string, Tensor>,
  promptIds: number[],
  label: (id: number) => string,
): Looks['attention'] {
  const layers = Object.keys(out)
    .map((k) => /^attentions\.(\d+)$/.exec(k))
    .filter((m) => m !== null)
    .map((m) => Number(m[1]));
  if (!layers.length) return undefined;
  const layer = Math.max(...layers);
  const t = out[`attentions.${layer}`]!;
  const [, heads, q, k] = t.dims as number[];
  const data = t.data as Float32Array;
  const n = Math.min(promptIds.length, MAX_ATTENTION_TOKENS);
  const maps = Array.from({ length: heads! }, (_, h) =>
    Array.from({ length: n }, (_, r) => Array.from({ length: n }, (_, c) => data[(h * q! + r) * k! + c]!)),
  );
  return { layer, heads: maps, tokens: promptIds.slice(0, n).map(label), totalTokens: promptIds.length };
}
