import * as ort from 'onnxruntime-node';

/**
 * The minimal greedy loop over the converted ONNX model with onnxruntime-node
 * alone: the peer the transformers.js pipeline is checked and timed against.
 * With `cache`, each step feeds one token and the previous present.* tensors;
 * without, it feeds the whole sequence every step.
 */
export async function rawGreedy(
  session: ort.InferenceSession,
  promptIds: number[],
  steps: number,
  opts: { layers: number; kvHeads: number; headDim: number; cache: boolean; stopIds?: number[] },
) {
  const ids = [...promptIds];
  let past: Record<string, ort.Tensor> = {};
  const emptyPast = () => {
    const p: Record<string, ort.Tensor> = {};
    for (let l = 0; l < opts.layers; l++)
      for (const kv of ['key', 'value'])
        p[`past_key_values.${l}.${kv}`] = new ort.Tensor('float32', new Float32Array(0), [
          1,
          opts.kvHeads,
          0,
          opts.headDim,
        ]);
    return p;
  };
  past = emptyPast();
  let firstTokenMs: number | undefined;
  const t0 = performance.now();
  for (let s = 0; s < steps; s++) {
    const feedIds = opts.cache && s > 0 ? ids.slice(-1) : ids;
    const start = ids.length - feedIds.length;
    const out = await session.run({
      input_ids: new ort.Tensor('int64', BigInt64Array.from(feedIds.map(BigInt)), [1, feedIds.length]),
      attention_mask: new ort.Tensor('int64', BigInt64Array.from(ids.map(() => 1n)), [1, ids.length]),
      position_ids: new ort.Tensor('int64', BigInt64Array.from(feedIds.map((_, i) => BigInt(start + i))), [
        1,
        feedIds.length,
      ]),
      ...(opts.cache && s > 0 ? past : emptyPast()),
    });
    const logits = out.logits!.data as Float32Array;
    const vocab = out.logits!.dims.at(-1)!;
    const last = logits.subarray(logits.length - vocab);
    let best = 0;
    for (let v = 1; v < vocab; v++) if (last[v]! > last[best]!) best = v;
    firstTokenMs ??= performance.now() - t0;
    ids.push(best);
    if (opts.cache) {
      past = {};
      for (let l = 0; l < opts.layers; l++)
        for (const kv of ['key', 'value']) past[`past_key_values.${l}.${kv}`] = out[`present.${l}.${kv}`]!;
    }
    if (opts.stopIds?.includes(best)) break;
  }
  return { ids: ids.slice(promptIds.length), ms: performance.now() - t0, firstTokenMs: firstTokenMs ?? 0 };
}
