// Writes a random-weight llama2.c checkpoint (legacy v0 format) of a given shape:
// speed does not depend on the weights' values, so this stands in for a real
// 110M model without downloading one. Rows 0-2 of the (shared) embedding are
// zero, so greedy decoding never picks <unk>, <s> or </s> and every run writes
// the full number of tokens, in run.c and in the pipeline alike.
import { closeSync, openSync, writeSync } from 'node:fs';

export interface Shape {
  dim: number;
  hiddenDim: number;
  nLayers: number;
  nHeads: number;
  vocabSize: number;
  seqLen: number;
}

/** llama2.c's stories110M shape with the 512-token tokenizer. */
export const SHAPE_110M: Shape = { dim: 768, hiddenDim: 2048, nLayers: 12, nHeads: 12, vocabSize: 512, seqLen: 1024 };

export function writeRandomCheckpoint(file: string, s: Shape, seed = 1): number {
  let state = seed >>> 0 || 1;
  // xorshift32 → uniform in [-0.05, 0.05): cheap and reproducible.
  const next = () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return ((state >>> 0) / 2 ** 32 - 0.5) * 0.1;
  };
  const fd = openSync(file, 'w');
  let bytes = 0;
  const put = (a: Float32Array | Int32Array) => {
    writeSync(fd, new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
    bytes += a.byteLength;
  };
  const random = (n: number) => Float32Array.from({ length: n }, next);
  const ones = (n: number) => new Float32Array(n).fill(1);
  const perLayer = (make: () => Float32Array) => {
    for (let l = 0; l < s.nLayers; l++) put(make());
  };
  try {
    put(Int32Array.from([s.dim, s.hiddenDim, s.nLayers, s.nHeads, s.nHeads, s.vocabSize, s.seqLen]));
    const embed = random(s.vocabSize * s.dim);
    embed.fill(0, 0, 3 * s.dim);
    put(embed);
    perLayer(() => ones(s.dim)); // rms_att
    for (const [rows, cols] of [
      [s.dim, s.dim],
      [s.dim, s.dim],
      [s.dim, s.dim],
      [s.dim, s.dim],
    ] as const)
      perLayer(() => random(rows * cols)); // wq wk wv wo
    perLayer(() => ones(s.dim)); // rms_ffn
    perLayer(() => random(s.hiddenDim * s.dim)); // w1
    perLayer(() => random(s.dim * s.hiddenDim)); // w2
    perLayer(() => random(s.hiddenDim * s.dim)); // w3
    put(ones(s.dim)); // rms_final
    const half = (s.seqLen * (s.dim / s.nHeads)) / 2;
    put(new Float32Array(half)); // freq_cis_real (unused by run.c and the converter)
    put(new Float32Array(half)); // freq_cis_imag
  } finally {
    closeSync(fd);
  }
  return bytes;
}
