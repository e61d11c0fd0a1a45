// Weight-only int8 for MatMulNBits (onnxruntime's contrib op, as its
// matmul_nbits quantizer writes it): each output column's weights are cut into
// blocks along the input dimension; each block keeps one fp32 scale and stores
// round(w / scale) + 128 as uint8 (zero point 128, symmetric).
export const Q8_BLOCK = 32;

export interface Q8Weight {
  data: Uint8Array; // [N, blocks, block]
  scales: Float32Array; // [N * blocks]
  zeroPoints: Uint8Array; // [N * blocks]
  blocks: number;
}

/** `w` is [n, k] row-major (out, in), llama2.c's own layout and MatMulNBits' B layout. */
export function quantizeQ8(w: Float32Array, n: number, k: number, block = Q8_BLOCK): Q8Weight {
  const blocks = Math.ceil(k / block);
  const data = new Uint8Array(n * blocks * block).fill(128);
  const scales = new Float32Array(n * blocks);
  for (let r = 0; r < n; r++) {
    for (let b = 0; b < blocks; b++) {
      const from = r * k + b * block;
      const to = r * k + Math.min(k, (b + 1) * block);
      let max = 0;
      for (let i = from; i < to; i++) max = Math.max(max, Math.abs(w[i]!));
      const scale = max / 127 || 1;
      scales[r * blocks + b] = scale;
      const out = (r * blocks + b) * block;
      for (let i = from; i < to; i++)
        data[out + i - from] = Math.max(0, Math.min(255, Math.round(w[i]! / scale) + 128));
    }
  }
  return { data, scales, zeroPoints: new Uint8Array(n * blocks).fill(128), blocks };
}

/** What the stored uint8 weights decode to, [n, k]: for tests and error bounds. */
export function dequantizeQ8(q: Q8Weight, n: number, k: number, block = Q8_BLOCK): Float32Array {
  const out = new Float32Array(n * k);
  for (let r = 0; r < n; r++)
    for (let i = 0; i < k; i++) {
      const b = Math.floor(i / block);
      out[r * k + i] =
        (q.data[(r * q.blocks + b) * block + (i % block)]! - q.zeroPoints[r * q.blocks + b]!) *
        q.scales[r * q.blocks + b]!;
    }
  return out;
}
