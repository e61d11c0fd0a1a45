// `npm run convert-llama2c -- <llama2.c folder> <out folder> [--dtype fp32|q8] [--attentions]`:
// a model trained with llama2.c (checkpoint .bin + SentencePiece .model) becomes loadable by the bot.
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { convertLlama2c } from './convert.js';

const args = process.argv.slice(2);
const flag = (name: string) => {
  const i = args.indexOf(name);
  return i < 0 ? undefined : args.splice(i, 2)[1];
};
const dtype = flag('--dtype') ?? 'fp32';
const attentions = args.includes('--attentions');
const [src, out] = args.filter((a) => a !== '--attentions');
if (!src || !out || (dtype !== 'fp32' && dtype !== 'q8')) {
  console.error(
    'Usage: npm run convert-llama2c -- <folder with model .bin and tokenizer .model> <out folder> [--dtype fp32|q8] [--attentions]',
  );
  console.error('  --dtype q8     int8 weights (MatMulNBits): about 3.4× smaller and faster on CPU');
  console.error('  --attentions   also output attention probabilities (the heat map of /generate-text show-attention)');
  process.exit(2);
}
const files = readdirSync(src);
// llama2.c also writes a tok*.bin tokenizer next to the model: the checkpoint is the largest .bin.
const { statSync } = await import('node:fs');
const bins = files
  .filter((f) => f.endsWith('.bin'))
  .sort((a, b) => statSync(path.join(src, b)).size - statSync(path.join(src, a)).size);
const model = files.find((f) => f.endsWith('.model'));
if (!bins[0] || !model) {
  console.error(`${src} needs a llama2.c checkpoint (.bin) and a SentencePiece tokenizer (.model)`);
  process.exit(2);
}
const t0 = performance.now();
const r = convertLlama2c({
  checkpoint: path.join(src, bins[0]),
  tokenizer: path.join(src, model),
  outDir: out,
  dtype,
  attentions,
});
console.log(
  `Converted ${bins[0]} (${r.parameters.toLocaleString('en')} parameters) → ${r.outDir} in ${Math.round(performance.now() - t0)} ms: ${r.files.join(', ')}`,
);
