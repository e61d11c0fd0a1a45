// `npm run models:pull [-- <id> ...] [--force]`: downloads the manifest's models (all, or the named
// ones) with the same downloader, pinning and verification as first use; one real error per model.
import { rmSync } from 'node:fs';
import path from 'node:path';
import { SingleBar, Presets } from 'cli-progress';
import pino from 'pino';
import { loadConfig } from '../config/index.js';
import { withDownloadListener } from './progress.js';
import { registryFromConfig } from './setup.js';

const args = process.argv.slice(2);
const force = args.includes('--force');
const ids = args.filter((a) => !a.startsWith('--'));
const config = loadConfig();
// An explicit pull is the admin's "yes, download": the auto-download switch is for requests.
const models = registryFromConfig(
  { ...config, SINAPSIS_AUTO_DOWNLOAD: true },
  pino({ level: 'warn' }, pino.destination(2)),
);
const chosen = ids.length ? models.manifest.models.filter((m) => ids.includes(m.id)) : models.manifest.models;
const unknown = ids.filter((id) => !models.manifest.models.some((m) => m.id === id));
if (unknown.length) {
  console.error(
    `Unknown model id(s): ${unknown.join(', ')}. Known: ${models.manifest.models.map((m) => m.id).join(', ')}`,
  );
  process.exit(2);
}

let failed = 0;
for (const model of chosen) {
  const bar = new SingleBar(
    { format: `${model.id} [{bar}] {percentage}% {value}/{total} bytes`, stream: process.stderr },
    Presets.shades_classic,
  );
  let started = false;
  try {
    if (force) {
      // Only what this program downloaded is removed; a local folder (SINAPSIS_MODELS_DIR) is the admin's.
      const before = models.state(model.id, model.task);
      if (before.repo && before.commit)
        rmSync(path.join(config.modelsCache, 'hub', before.repo, before.commit), { recursive: true, force: true });
      for (const f of model.files ?? []) rmSync(path.join(config.modelsCache, f.path), { force: true });
    }
    const files = await withDownloadListener(
      ({ bytes, total }) => {
        if (!started) {
          bar.start(total, bytes);
          started = true;
        }
        bar.update(bytes);
      },
      () => models.install(model.id),
    );
    if (started) bar.stop();
    const s = models.state(model.id, model.task);
    console.log(
      `${model.id}: ${s.state}${s.repo ? ` ${s.repo}@${s.commit}` : ''} (${files.length} files, verified${s.locked_by ? `, locked by ${s.locked_by}` : ''})`,
    );
  } catch (err) {
    if (started) bar.stop();
    failed++;
    console.error(`${model.id}: ${(err as Error).message}`);
  }
}
process.exit(failed ? 1 : 0);
