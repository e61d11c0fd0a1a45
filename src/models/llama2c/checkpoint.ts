// llama2.c checkpoint (legacy "v0" format): 7 int32 header fields, then fp32 weights
// in a fixed order. A negative vocab size means the classifier is not shared.
export interface Llama2cConfig {
  dim: number;
  hiddenDim: number;
  nLayers: number;
  nHeads: number;
  nKvHeads: number;
  vocabSize: number;
  seqLen: number;
  sharedClassifier: boolean;
}

export interface Llama2cWeights {
  tokenEmbedding: Float32Array; // [vocab, dim]
  rmsAtt: Float32Array[]; // [dim] per layer
  wq: Float32Array[]; // [dim, dim] (out, in)
  wk: Float32Array[]; // [kvDim, dim]
  wv: Float32Array[]; // [kvDim, dim]
  wo: Float32Array[]; // [dim, dim]
  rmsFfn: Float32Array[];
  w1: Float32Array[]; // [hidden, dim]
  w2: Float32Array[]; // [dim, hidden]
  w3: Float32Array[]; // [hidden, dim]
  rmsFinal: Float32Array; // [dim]
  classifier: Float32Array; // [vocab, dim]
}

export function readCheckpoint(buf: Buffer): { config: Llama2cConfig; weights: Llama2cWeights } {
  const header = new Int32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + 28));
  const [dim, hiddenDim, nLayers, nHeads, nKvHeads, rawVocab, seqLen] = Array.from(header) as number[];
  const config = {
    dim: dim!,
    hiddenDim: hiddenDim!,
    nLayers: nLayers!,
    nHeads: nHeads!,
    nKvHeads: nKvHeads!,
    vocabSize: Math.abs(rawVocab!),
    seqLen: seqLen!,
    sharedClassifier: rawVocab! > 0,
  };
  const floats = new Float32Array(buf.buffer.slice(buf.byteOffset + 28, buf.byteOffset + buf.length));
  let at = 0;
  const take = (n: number) => {
    if (at + n > floats.length) throw new Error('checkpoint is shorter than its header says');
    const out = floats.slice(at, at + n);
    at += n;
    return out;
  };
  const perLayer = (n: number) => Array.from({ length: config.nLayers }, () => take(n));
  const { dim: d, hiddenDim: h, vocabSize: v } = config;
  const kvDim = (d * config.nKvHeads) / config.nHeads;
  const tokenEmbedding = take(v * d);
  const rmsAtt = perLayer(d);
  const wq = perLayer(d * d);
  const wk = perLayer(kvDim * d);
  const wv = perLayer(kvDim * d);
  const wo = perLayer(d * d);
  const rmsFfn = perLayer(d);
  const w1 = perLayer(h * d);
  const w2 = perLayer(d * h);
  const w3 = perLayer(h * d);
  const rmsFinal = take(d);
  take((config.seqLen * (d / config.nHeads)) / 2); // freq_cis_real: recomputed in the graph
  take((config.seqLen * (d / config.nHeads)) / 2); // freq_cis_imag
  const classifier = config.sharedClassifier ? tokenEmbedding : take(v * d);
  return { config, weights: { tokenEmbedding, rmsAtt, wq, wk, wv, wo, rmsFfn, w1, w2, w3, rmsFinal, classifier } };
}
