// Builds a Llama causal-LM ONNX graph with the input/output names transformers.js
// expects (optimum's layout): input_ids, attention_mask, position_ids,
// past_key_values.N.key/value → logits, present.N.key/value. RoPE rotates adjacent
// pairs of dimensions, as llama2.c does, so its weights are used unpermuted.
import { A, encodeModel, GraphBuilder, MS_DOMAIN, T, valueInfo } from '../onnx-builder.js';
import type { Llama2cConfig, Llama2cWeights } from './checkpoint.js';
import { Q8_BLOCK, quantizeQ8 } from './quantize.js';

export interface GraphOptions {
  /** fp32 weights, or int8 weight-only (MatMulNBits, 8 bits, blocks of 32) for every linear layer. */
  dtype?: 'fp32' | 'q8';
  /** Also output each layer's attention probabilities, `attentions.N` [batch, heads, query, key]. */
  attentions?: boolean;
  /**
   * Use onnxruntime's fused RotaryEmbedding + MultiHeadAttention (com.microsoft) instead of
   * ~30 plain operators per layer, and its one-kernel RMSNorm: fewer kernel launches per token.
   * Attention is fused only without grouped KV heads and without attention outputs (the fused
   * kernel does not expose them). Default on.
   */
  fused?: boolean;
}

/** [out, in] row-major → [in, out], for x · W with MatMul. */
function transpose(w: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(w.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = w[r * cols + c]!;
  return out;
}

export function buildLlamaOnnx(
  config: Llama2cConfig,
  w: Llama2cWeights,
  opts: GraphOptions = {},
  eps = 1e-5,
): Uint8Array {
  const g = new GraphBuilder();
  const { dim, hiddenDim, nLayers, nHeads, nKvHeads, vocabSize } = config;
  const hd = dim / nHeads;
  const kvDim = hd * nKvHeads;
  const rep = nHeads / nKvHeads;

  g.scalar('eps', eps);
  g.scalar('one', 1);
  g.scalar('scale', 1 / Math.sqrt(hd));
  g.scalar('neg_inf', -1e9); // not -inf: a fully masked row (a padding query) must not turn into NaN
  g.scalar('zero_f', 0);
  g.int64('axes_last', [-1]);
  g.int64('axis0', [0]);
  g.int64('axis1', [1]);
  g.int64('axis2', [2]);
  g.int64('i0', [0], []);
  g.int64('i1', [1], []);
  g.int64('idx2', [2]);
  g.int64('shape_q5', [0, 0, nHeads, hd / 2, 2]);
  g.int64('shape_k5', [0, 0, nKvHeads, hd / 2, 2]);
  g.int64('shape_q4', [0, 0, nHeads, hd]);
  g.int64('shape_k4', [0, 0, nKvHeads, hd]);
  g.int64('shape_rep', [0, nHeads, -1, hd]);
  g.int64('shape_out', [0, 0, dim]);
  const invFreq = Float32Array.from({ length: hd / 2 }, (_, j) => 10000 ** (-(2 * j) / hd));
  g.float('inv_freq', invFreq, [hd / 2]);

  // Rotary angles from position_ids: [B,S] → cos/sin [B,S,1,hd/2,1], broadcast over heads and pairs.
  const pos = g.node('Cast', ['position_ids'], [{ name: 'to', type: A.INT, i: T.FLOAT }]);
  const angles = g.node('Mul', [g.node('Unsqueeze', [pos, 'axes_last']), 'inv_freq']);
  const shapeAngles = (x: string) => g.node('Unsqueeze', [g.node('Unsqueeze', [x, 'axes_last']), 'idx2']);
  const cos = shapeAngles(g.node('Cos', [angles]));
  const sin = shapeAngles(g.node('Sin', [angles]));

  // Masks: causal (key position > query position) or padding (attention_mask == 0), as a -inf bias.
  const totalLen = g.node('Gather', [g.node('Shape', ['attention_mask']), 'i1'], [{ name: 'axis', type: A.INT, i: 0 }]);
  const seqLen = g.node('Gather', [g.node('Shape', ['input_ids']), 'i1'], [{ name: 'axis', type: A.INT, i: 0 }]);
  const pastLen = g.node('Sub', [totalLen, seqLen]);
  const keyPos = g.node('Range', ['i0', totalLen, 'i1']);
  const queryPos = g.node('Range', [pastLen, totalLen, 'i1']);
  const causal = g.node('Greater', [
    g.node('Unsqueeze', [keyPos, 'axis0']),
    g.node('Unsqueeze', [queryPos, 'axes_last']),
  ]); // [S,T]
  const padding = g.node('Equal', [
    g.node('Unsqueeze', [g.node('Unsqueeze', ['attention_mask', 'axis1']), 'axis1']),
    'i0',
  ]); // [B,1,1,T]
  const blocked = g.node('Or', [causal, padding]); // [B,1,S,T]
  const maskBias = g.node('Where', [blocked, 'neg_inf', 'zero_f']);

  /** x · Wᵀ for a llama2.c weight [out, in]: MatMul on the transposed fp32 matrix, or MatMulNBits on int8 blocks. */
  const linear = (x: string, name: string, weight: Float32Array, out: number, inDim: number, outName?: string) => {
    if (opts.dtype !== 'q8')
      return g.node('MatMul', [x, g.float(name, transpose(weight, out, inDim), [inDim, out])], [], outName);
    const q = quantizeQ8(weight, out, inDim);
    const inputs = [
      x,
      g.uint8(`${name}.q8`, q.data, [out, q.blocks, Q8_BLOCK]),
      g.float(`${name}.scales`, q.scales, [out * q.blocks]),
      g.uint8(`${name}.zero_points`, q.zeroPoints, [out * q.blocks]),
    ];
    const attrs = [
      { name: 'K', type: A.INT, i: inDim },
      { name: 'N', type: A.INT, i: out },
      { name: 'bits', type: A.INT, i: 8 },
      { name: 'block_size', type: A.INT, i: Q8_BLOCK },
      // int8 activations too: what makes the int8 weights fast on CPU
      { name: 'accuracy_level', type: A.INT, i: 4 },
    ];
    return g.node('MatMulNBits', inputs, attrs, outName, MS_DOMAIN);
  };

  const rmsNorm = (x: string, weight: string) => {
    // onnxruntime's one-kernel RMSNorm (registered in the default domain) unless plain operators are asked for.
    if (opts.fused !== false)
      return g.node(
        'SimplifiedLayerNormalization',
        [x, weight],
        [
          { name: 'axis', type: A.INT, i: -1 },
          { name: 'epsilon', type: A.FLOAT, f: eps },
        ],
      );
    const ms = g.node('ReduceMean', [g.node('Mul', [x, x]), 'axes_last'], [{ name: 'keepdims', type: A.INT, i: 1 }]);
    const inv = g.node('Div', ['one', g.node('Sqrt', [g.node('Add', [ms, 'eps'])])]);
    return g.node('Mul', [g.node('Mul', [x, inv]), weight]);
  };
  const rotate = (x: string, shape5: string, shape4: string, prefix: string) => {
    const pairs = g.node('Reshape', [x, shape5]);
    const [a, b] = g.split(pairs, -1, [`${prefix}_a`, `${prefix}_b`]);
    const ra = g.node('Sub', [g.node('Mul', [a!, cos]), g.node('Mul', [b!, sin])]);
    const rb = g.node('Add', [g.node('Mul', [a!, sin]), g.node('Mul', [b!, cos])]);
    const joined = g.node('Concat', [ra, rb], [{ name: 'axis', type: A.INT, i: -1 }]);
    return g.node(
      'Transpose',
      [g.node('Reshape', [joined, shape4])],
      [{ name: 'perm', type: A.INTS, ints: [0, 2, 1, 3] }],
    );
  };
  const repeatKv = (x: string) => {
    if (rep === 1) return x;
    const u = g.node('Unsqueeze', [x, 'axis2']);
    return g.node('Reshape', [
      g.node('Concat', Array(rep).fill(u), [{ name: 'axis', type: A.INT, i: 2 }]),
      'shape_rep',
    ]);
  };

  const feedForward = (l: number, x: string) => {
    const p = `layers.${l}`;
    const h2 = rmsNorm(x, g.float(`${p}.ffn_norm`, w.rmsFfn[l]!, [dim]));
    const gate = linear(h2, `${p}.w1`, w.w1[l]!, hiddenDim, dim);
    const up = linear(h2, `${p}.w3`, w.w3[l]!, hiddenDim, dim);
    const silu = g.node('Mul', [gate, g.node('Sigmoid', [gate])]);
    return g.node('Add', [x, linear(g.node('Mul', [silu, up]), `${p}.w2`, w.w2[l]!, dim, hiddenDim)]);
  };

  let x = g.node('Gather', ['embed', 'input_ids'], [{ name: 'axis', type: A.INT, i: 0 }]);
  g.float('embed', w.tokenEmbedding, [vocabSize, dim]);
  const inputs = [
    valueInfo('input_ids', T.INT64, ['batch_size', 'sequence_length']),
    valueInfo('attention_mask', T.INT64, ['batch_size', 'total_sequence_length']),
    valueInfo('position_ids', T.INT64, ['batch_size', 'sequence_length']),
  ];
  const outputs = [valueInfo('logits', T.FLOAT, ['batch_size', 'sequence_length', vocabSize])];

  const fused = opts.fused !== false && !opts.attentions && nKvHeads === nHeads;
  if (fused) {
    // cos/sin of position × frequency, [seqLen, hd/2], as RotaryEmbedding's caches.
    const cosCache = new Float32Array(config.seqLen * (hd / 2));
    const sinCache = new Float32Array(config.seqLen * (hd / 2));
    for (let pos = 0; pos < config.seqLen; pos++)
      for (let j = 0; j < hd / 2; j++) {
        cosCache[pos * (hd / 2) + j] = Math.cos(pos * invFreq[j]!);
        sinCache[pos * (hd / 2) + j] = Math.sin(pos * invFreq[j]!);
      }
    g.float('cos_cache', cosCache, [config.seqLen, hd / 2]);
    g.float('sin_cache', sinCache, [config.seqLen, hd / 2]);
  }
  /** Rotary (adjacent pairs: interleaved=1) on [B,S,D], then attention with the KV cache; → [B,S,D]. */
  const fusedAttention = (l: number, q: string, k: string, v: string) => {
    const rope = (t: string) =>
      g.node(
        'RotaryEmbedding',
        [t, 'position_ids', 'cos_cache', 'sin_cache'],
        [
          { name: 'interleaved', type: A.INT, i: 1 },
          { name: 'num_heads', type: A.INT, i: nHeads },
        ],
        undefined,
        MS_DOMAIN,
      );
    const pastK = `past_key_values.${l}.key`;
    const pastV = `past_key_values.${l}.value`;
    inputs.push(
      valueInfo(pastK, T.FLOAT, ['batch_size', nKvHeads, 'past_sequence_length', hd]),
      valueInfo(pastV, T.FLOAT, ['batch_size', nKvHeads, 'past_sequence_length', hd]),
    );
    const out = `layers.${l}.attn_out`;
    g.nodes.push({
      opType: 'MultiHeadAttention',
      domain: MS_DOMAIN,
      name: `MultiHeadAttention_${l}`,
      // query, key, value, bias, key_padding_mask, attention_bias, past_key, past_value
      input: [rope(q), rope(k), v, '', '', maskBias, pastK, pastV],
      output: [out, `present.${l}.key`, `present.${l}.value`],
      attribute: [{ name: 'num_heads', type: A.INT, i: nHeads }],
    });
    outputs.push(
      valueInfo(`present.${l}.key`, T.FLOAT, ['batch_size', nKvHeads, 'total_sequence_length', hd]),
      valueInfo(`present.${l}.value`, T.FLOAT, ['batch_size', nKvHeads, 'total_sequence_length', hd]),
    );
    return out;
  };

  for (let l = 0; l < nLayers; l++) {
    const p = `layers.${l}`;
    const h = rmsNorm(x, g.float(`${p}.attn_norm`, w.rmsAtt[l]!, [dim]));
    const q = linear(h, `${p}.wq`, w.wq[l]!, dim, dim);
    const k = linear(h, `${p}.wk`, w.wk[l]!, kvDim, dim);
    const v = linear(h, `${p}.wv`, w.wv[l]!, kvDim, dim);
    if (fused) {
      x = g.node('Add', [x, linear(fusedAttention(l, q, k, v), `${p}.wo`, w.wo[l]!, dim, dim)]);
      x = feedForward(l, x);
      continue;
    }
    const qr = rotate(q, 'shape_q5', 'shape_q4', `${p}.q`);
    const kr = rotate(k, 'shape_k5', 'shape_k4', `${p}.k`);
    const vt = g.node(
      'Transpose',
      [g.node('Reshape', [v, 'shape_k4'])],
      [{ name: 'perm', type: A.INTS, ints: [0, 2, 1, 3] }],
    );
    const pastK = `past_key_values.${l}.key`;
    const pastV = `past_key_values.${l}.value`;
    inputs.push(
      valueInfo(pastK, T.FLOAT, ['batch_size', nKvHeads, 'past_sequence_length', hd]),
      valueInfo(pastV, T.FLOAT, ['batch_size', nKvHeads, 'past_sequence_length', hd]),
    );
    const presentK = g.node('Concat', [pastK, kr], [{ name: 'axis', type: A.INT, i: 2 }], `present.${l}.key`);
    const presentV = g.node('Concat', [pastV, vt], [{ name: 'axis', type: A.INT, i: 2 }], `present.${l}.value`);
    outputs.push(
      valueInfo(presentK, T.FLOAT, ['batch_size', nKvHeads, 'total_sequence_length', hd]),
      valueInfo(presentV, T.FLOAT, ['batch_size', nKvHeads, 'total_sequence_length', hd]),
    );
    const kt = g.node('Transpose', [repeatKv(presentK)], [{ name: 'perm', type: A.INTS, ints: [0, 1, 3, 2] }]);
    const scores = g.node('Add', [g.node('Mul', [g.node('MatMul', [qr, kt]), 'scale']), maskBias]);
    const probs = g.node(
      'Softmax',
      [scores],
      [{ name: 'axis', type: A.INT, i: -1 }],
      opts.attentions ? `attentions.${l}` : undefined,
    );
    if (opts.attentions)
      outputs.push(valueInfo(probs, T.FLOAT, ['batch_size', nHeads, 'sequence_length', 'total_sequence_length']));
    const attn = g.node('MatMul', [probs, repeatKv(presentV)]);
    const merged = g.node('Reshape', [
      g.node('Transpose', [attn], [{ name: 'perm', type: A.INTS, ints: [0, 2, 1, 3] }]),
      'shape_out',
    ]);
    x = g.node('Add', [x, linear(merged, `${p}.wo`, w.wo[l]!, dim, dim)]);
    x = feedForward(l, x);
  }
  const final = rmsNorm(x, g.float('final_norm', w.rmsFinal, [dim]));
  linear(final, 'lm_head', w.classifier, vocabSize, dim, 'logits');

  return encodeModel(g, 'llama', inputs, outputs, 'sinapsis convert-llama2c');
}
