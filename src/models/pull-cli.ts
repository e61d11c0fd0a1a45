// `npm run models:pull [-- <id> ...] [--force]`: fetches the manifest's models into the cache.
import { SingleBar, Presets } from 'cli-progress';
import { loadConfig } from '../config/index.js';
import { readManifest } from './manifest.js';
import { pullModel } from './pull.js';

const args = process.argv.slice(2);
const force = args.includes('--force');
const ids = args.filter((a) => !a.startsWith('--'));
const config = loadConfig();
const manifest = readManifest();
const chosen = ids.length ? manifest.models.filter((m) => ids.includes(m.id)) : manifest.models;
const unknown = ids.filter((id) => !manifest.models.some((m) => m.id === id));
if (unknown.length) {
  console.error(`Unknown model id(s): ${unknown.join(', ')}. Known: ${manifest.models.map((m) => m.id).join(', ')}`);
  process.exit(2);
}

const dirs = { local: config.SINAPSIS_MODELS_DIR, cache: config.modelsCache };
let failed = 0;
for (const model of chosen) {
  const bar = new SingleBar({ format: `${model.id} [{bar}] {percentage}% {value}/{total} bytes`, stream: process.stderr }, Presets.shades_classic);
  let started = false;
  try {
    const results = await pullModel(dirs, model, {
      force,
      mirror: config.SINAPSIS_MODEL_MIRROR,
      onProgress: ({ received, total }) => {
        if (!started) {
          bar.start(total, received);
          started = true;
        }
        bar.update(received);
      },
    });
    if (started) bar.stop();
    for (const r of results) console.log(`${model.id}: ${r.file} ${r.outcome} (${r.path}), sha256 ok`);
  } catch (err) {
    if (started) bar.stop();
    failed++;
    console.error(`${model.id}: ${(err as Error).message}`);
  }
}
process.exit(failed ? 1 : 0);
