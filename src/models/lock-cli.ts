// `npm run models:lock [-- <id> ...]`: for maintainers, with internet. Pins the manifest's hub models
// (all, or the named ones) at their manifest revision: the commit it names now, and each file's size
// and hash as the hub states them (tree listing, cross-checked with the resolve headers). Writes
// models/models.lock.json (commit it); every user's download is then verified against it.
// Nothing is downloaded. HF_ENDPOINT / HF_TOKEN apply; SINAPSIS_LOCK_OUT writes elsewhere (tests).
import { loadConfig } from '../config/index.js';
import { HubClient } from './hub.js';
import { COMMITTED_LOCK_PATH, readLock, writeLock } from './lock.js';
import { readManifest } from './manifest.js';

const ids = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const config = loadConfig();
const manifest = readManifest();
const out = process.env.SINAPSIS_LOCK_OUT ?? COMMITTED_LOCK_PATH;
const hubModels = manifest.models.filter((m) => m.hub);
const unknown = ids.filter((id) => !hubModels.some((m) => m.id === id));
if (unknown.length) {
  console.error(
    `Not a hub model in the manifest: ${unknown.join(', ')}. Hub models: ${hubModels.map((m) => m.id).join(', ')}`,
  );
  process.exit(2);
}
const client = new HubClient({ endpoint: config.HF_ENDPOINT, token: config.HF_TOKEN, timeoutMs: 30_000 });
const lock = readLock(out);
let failed = 0;
for (const m of hubModels.filter((x) => !ids.length || ids.includes(x.id))) {
  try {
    const locked = await client.lock(m.hub!.repo, m.hub!.revision, m.hub!.files, { licence: m.licence });
    lock.models[m.id] = locked;
    console.log(
      `${m.id}: ${locked.repo}@${locked.commit} (${m.hub!.revision})${locked.licence ? `, licence ${locked.licence}` : ''}`,
    );
    for (const f of locked.files)
      console.log(`  ${f.path} ${f.size} bytes ${f.sha256 ? `sha256 ${f.sha256}` : `git sha1 ${f.sha1}`}`);
    for (const w of locked.hintMismatches ?? []) console.warn(`  WARNING: ${w}`);
  } catch (err) {
    failed++;
    console.error(`${m.id}: ${(err as Error).message}`);
  }
}
writeLock(out, lock);
process.exit(failed ? 1 : 0);
