import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { readCheckpoint } from './checkpoint.js';
import { buildLlamaOnnx, type GraphOptions } from './onnx-graph.js';
import { readPieces, tokenizerJson } from './sentencepiece.js';

export interface ConvertResult {
  outDir: string;
  files: string[];
  parameters: number;
}

/**
 * A llama2.c model folder (checkpoint `*.bin` + SentencePiece `*.model`) →
 * the transformers.js layout: config.json, generation_config.json,
 * tokenizer.json, tokenizer_config.json, onnx/model.onnx (fp32, with KV cache),
 * or onnx/model_quantized.onnx with `dtype: 'q8'` (transformers.js' name for q8).
 * `attentions` adds attention-probability outputs (for /generate-text's heat map).
 */
export function convertLlama2c(
  opts: { checkpoint: string; tokenizer: string; outDir: string } & GraphOptions,
): ConvertResult {
  const dtype = opts.dtype ?? 'fp32';
  const { config, weights } = readCheckpoint(readFileSync(opts.checkpoint));
  const pieces = readPieces(readFileSync(opts.tokenizer));
  if (pieces.length !== config.vocabSize)
    throw new Error(`tokenizer has ${pieces.length} pieces, the model ${config.vocabSize}`);
  const bos = pieces.findIndex((p) => p.piece === '<s>');
  const eos = pieces.findIndex((p) => p.piece === '</s>');
  const headDim = config.dim / config.nHeads;
  const files: Record<string, string | Uint8Array> = {
    'config.json': JSON.stringify(
      {
        architectures: ['LlamaForCausalLM'],
        model_type: 'llama',
        hidden_size: config.dim,
        intermediate_size: config.hiddenDim,
        num_hidden_layers: config.nLayers,
        num_attention_heads: config.nHeads,
        num_key_value_heads: config.nKvHeads,
        head_dim: headDim,
        vocab_size: config.vocabSize,
        max_position_embeddings: config.seqLen,
        rms_norm_eps: 1e-5,
        rope_theta: 10000,
        hidden_act: 'silu',
        tie_word_embeddings: config.sharedClassifier,
        bos_token_id: bos,
        eos_token_id: eos,
        torch_dtype: 'float32',
        use_cache: true,
        // The registry and transformers.js load the file this dtype names.
        'transformers.js_config': { dtype },
      },
      null,
      2,
    ),
    // llama2.c separates stories with BOS, so generation stops at BOS as well as EOS.
    'generation_config.json': JSON.stringify(
      { bos_token_id: bos, eos_token_id: [bos, eos], max_length: config.seqLen, do_sample: false },
      null,
      2,
    ),
    'tokenizer.json': JSON.stringify(tokenizerJson(pieces)),
    'tokenizer_config.json': JSON.stringify(
      {
        tokenizer_class: 'LlamaTokenizer',
        add_bos_token: true,
        add_eos_token: false,
        bos_token: '<s>',
        eos_token: '</s>',
        unk_token: '<unk>',
        pad_token: '</s>',
        legacy: true,
        clean_up_tokenization_spaces: false,
        model_max_length: config.seqLen,
        padding_side: 'left',
        // Plain continuation: no roles, the model only knows stories.
        chat_template:
          "{{ bos_token }}{% for message in messages %}{{ message['content'] }}{% if not loop.last %}{{ '\\n' }}{% endif %}{% endfor %}",
      },
      null,
      2,
    ),
    [dtype === 'q8' ? 'onnx/model_quantized.onnx' : 'onnx/model.onnx']: buildLlamaOnnx(config, weights, {
      dtype,
      attentions: opts.attentions,
    }),
  };
  mkdirSync(path.join(opts.outDir, 'onnx'), { recursive: true });
  for (const [name, data] of Object.entries(files)) writeFileSync(path.join(opts.outDir, name), data);
  const w = weights;
  const parameters = [
    w.tokenEmbedding,
    ...w.rmsAtt,
    ...w.wq,
    ...w.wk,
    ...w.wv,
    ...w.wo,
    ...w.rmsFfn,
    ...w.w1,
    ...w.w2,
    ...w.w3,
    w.rmsFinal,
  ].reduce((n, a) => n + a.length, config.sharedClassifier ? 0 : w.classifier.length);
  return { outDir: opts.outDir, files: Object.keys(files), parameters };
}
