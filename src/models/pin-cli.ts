// `npm run models:pin [-- <id> ...]`: for maintainers with internet. Downloads the files of the
// manifest's pending defaults into the model cache, records their sha256 and size, and moves
// them from `pending` to `models` in models/manifest.json (commit the result).
import { loadConfig } from '../config/index.js';
import { readManifest, writeManifest } from './manifest.js';
import { pinEntry } from './pin.js';

const file = process.env.SINAPSIS_MANIFEST;
const ids = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const config = loadConfig();
const manifest = file ? readManifest(file) : readManifest();
const chosen = manifest.pending.filter((p) => !ids.length || ids.includes(p.id));
const unknown = ids.filter((id) => !manifest.pending.some((p) => p.id === id));
if (unknown.length) {
  console.error(`Not pending: ${unknown.join(', ')}. Pending: ${manifest.pending.map((p) => p.id).join(', ') || 'none'}`);
  process.exit(2);
}
let failed = 0;
for (const entry of chosen) {
  try {
    const model = await pinEntry(config.modelsCache, entry);
    manifest.models.push(model);
    manifest.pending = manifest.pending.filter((p) => p.id !== entry.id);
    for (const f of model.files) console.log(`${model.id}: ${f.path} ${f.size} bytes sha256 ${f.sha256}`);
  } catch (err) {
    failed++;
    console.error(`${entry.id}: ${(err as Error).message}`);
  }
}
if (chosen.length > failed) {
  if (file) writeManifest(manifest, file);
  else writeManifest(manifest);
}
process.exit(failed ? 1 : 0);
