// Child of bench/model-download.ts: downloads the bench hub's big model through the real registry
// (pin from the tree listing, stream, hash, verify) and reports time and RSS growth as one JSON line.
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { downloadFile } from '../src/models/download.js';
import { ModelRegistry } from '../src/models/registry.js';

const [base, cache] = process.argv.slice(2) as [string, string];
const registry = new ModelRegistry(
  {
    models: [
      {
        id: 'big',
        task: 'colorize',
        runtime: 'onnxruntime',
        description: 'bench',
        licence: 'MIT',
        source: 'https://example.org',
        hub: {
          repo: 'bench/big-model',
          revision: 'main',
          files: [{ path: 'config.json' }, { path: 'onnx/model.onnx' }],
        },
      },
    ],
  },
  {
    dirs: { cache },
    autoDownload: true,
    ortThreads: 1,
    hub: { endpoint: base },
    committedLock: null,
    lockFile: path.join(cache, 'lock.json'),
  },
);
// Baseline after the modules are loaded and a first request has warmed fetch and crypto.
await registry.hub.commitOf('bench/big-model', 'main');
globalThis.gc?.();
const baseline = process.memoryUsage().rss;
let peak = baseline;
const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
const t0 = performance.now();
await registry.files('big');
const ms = performance.now() - t0;
clearInterval(sampler);
peak = Math.max(peak, process.memoryUsage().rss);
// The file alone through the same streaming code (sha256 checked), without pinning or the small files,
// after the first copy is deleted and the disk has caught up.
rmSync(path.join(cache, 'hub'), { recursive: true, force: true });
execFileSync('sync');
const { model } = registry.locks.get('big', 'bench/big-model')!;
const big = model.files.find((f) => f.path === 'onnx/model.onnx')!;
const t1 = performance.now();
await downloadFile(registry.hub, {
  label: 'big',
  url: registry.hub.resolveUrl('bench/big-model', model.commit, big.path),
  dest: path.join(cache, 'again.onnx'),
  size: big.size,
  sha256: big.sha256,
});
const fileMs = performance.now() - t1;
process.stdout.write(`${JSON.stringify({ ms, fileMs, baseline, peak })}\n`);
