import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { readManifest, type Manifest } from '../src/models/manifest.js';
import { DiskSpaceError, ensureDiskSpace } from '../src/models/download.js';
import { withDownloadListener, type DownloadProgress } from '../src/models/progress.js';
import { ModelRegistry, type RegistryOptions } from '../src/models/registry.js';
import { FakeHub, folderFiles } from './fakes/hub/server.js';
import { tempDir, testApp } from './helpers/app.js';
import { ROOT } from './helpers/assets.js';

// The tiny random-weight fixtures, served under the real defaults' repo names and file names.
const FIXTURES = path.join(ROOT, 'tests/fixtures/models');
function marian(dir: string) {
  const f = folderFiles(path.join(FIXTURES, dir));
  return {
    'config.json': f['config.json']!,
    'generation_config.json': f['generation_config.json']!,
    'tokenizer.json': f['tokenizer.json']!,
    'tokenizer_config.json': f['tokenizer_config.json']!,
    'onnx/encoder_model_quantized.onnx': f['onnx/encoder_model.onnx']!,
    'onnx/decoder_model_merged_quantized.onnx': f['onnx/decoder_model_merged.onnx']!,
    'README.md': Buffer.from('---\nlicense: cc-by-4.0\n---\n'),
  };
}
const blob = Buffer.from(Array.from({ length: 400_000 }, (_, i) => (i * 7919) % 251));

let hub: FakeHub;
beforeAll(async () => {
  hub = await new FakeHub().start();
  hub.commit('Xenova/opus-mt-es-en', marian('marian-tiny-es-en'));
  hub.commit('Xenova/opus-mt-en-es', marian('marian-tiny-en-es'));
  hub.commit('test/blob', { 'weights.bin': blob, 'notes.txt': Buffer.from('hello') });
});
afterAll(() => hub.stop());
beforeEach(() => {
  hub.requests.length = 0;
  hub.corrupt.clear();
});

const cdnGets = (sha: string) => hub.requests.filter((r) => r.method === 'GET' && r.url === `/cdn/${sha}`);
const blobManifest = (hint?: { sha256?: string; size?: number }): Manifest => ({
  models: [
    {
      id: 'blob',
      task: 'colorize',
      runtime: 'onnxruntime',
      description: 'd',
      licence: 'MIT',
      source: 'https://example.org',
      hub: { repo: 'test/blob', revision: 'main', files: [{ path: 'weights.bin', ...hint }, { path: 'notes.txt' }] },
    },
  ],
});
function registry(manifest: Manifest = readManifest(), extra: Partial<RegistryOptions> = {}) {
  const cache = tempDir();
  return new ModelRegistry(manifest, {
    dirs: { cache },
    autoDownload: true,
    ortThreads: 1,
    hub: { endpoint: hub.base },
    committedLock: null,
    lockFile: path.join(cache, 'lock.json'),
    ...extra,
  });
}

describe('hub models: pinned by commit, verified by the hub’s stated hashes', () => {
  it('first use: downloads, verifies, writes the lock, answers; a second run uses the disk only, even offline', async () => {
    const dataDir = tempDir();
    const env = { SINAPSIS_DATA_DIR: dataDir, SINAPSIS_AUTO_DOWNLOAD: 'true', HF_ENDPOINT: hub.base };
    const app = testApp(env);
    const progress: DownloadProgress[] = [];
    const t0 = performance.now();
    const r = await app.service.run(
      { command: 'translate', options: { text: 'hola mundo' }, ctx: { platform: 'test', userId: 'u', lang: 'es' } },
      { onProgress: (p) => void (p.kind === 'download' && progress.push(p)) },
    );
    const firstMs = performance.now() - t0;
    expect(r.model).toBe('opus-mt-es-en');
    expect([r.data.from, r.data.to]).toEqual(['es', 'en']);
    // Progress is the job's own, typed, and reaches the total.
    expect(progress.length).toBeGreaterThan(0);
    expect(progress.at(-1)).toMatchObject({ kind: 'download', model: 'opus-mt-es-en', task: 'translate' });
    expect(progress.at(-1)!.bytes).toBe(progress.at(-1)!.total);
    const lock = JSON.parse(readFileSync(path.join(dataDir, 'models.lock.json'), 'utf8'));
    const locked = lock.models['opus-mt-es-en'];
    const enc = hub.entry('Xenova/opus-mt-es-en', 'onnx/encoder_model_quantized.onnx');
    expect(locked).toMatchObject({
      repo: 'Xenova/opus-mt-es-en',
      revision: 'main',
      commit: expect.stringMatching(/^[0-9a-f]{40}$/),
    });
    expect(locked.files).toContainEqual({
      path: 'onnx/encoder_model_quantized.onnx',
      size: enc.size,
      sha256: enc.sha256,
    });
    expect(locked.files).toContainEqual({
      path: 'config.json',
      size: expect.any(Number),
      sha1: hub.entry('Xenova/opus-mt-es-en', 'config.json').sha1,
    });
    const status = app.models.state('opus-mt-es-en', 'translate');
    expect(status).toMatchObject({
      state: 'installed',
      locked_by: 'first-use',
      commit: locked.commit,
      repo: 'Xenova/opus-mt-es-en',
    });
    await app.close();

    // Same data dir, hub unreachable: the lock and the files are enough.
    const offline = testApp({ ...env, HF_ENDPOINT: 'http://127.0.0.1:9' });
    hub.requests.length = 0;
    const again = await offline.service.run({
      command: 'translate',
      options: { text: 'hola mundo' },
      ctx: { platform: 'test', userId: 'u', lang: 'es' },
    });
    expect(again.model).toBe('opus-mt-es-en');
    expect(hub.requests).toEqual([]);
    await offline.dispose();
    console.log(
      `[figure] first /translate "hola mundo" with the tiny fixtures from the fake hub: ${Math.round(firstMs)} ms (download ${progress.at(-1)!.total} bytes + pin + load + translate)`,
    );
  });

  it('a file whose bytes do not match the stated sha256 is refused and deleted: "model damaged"', async () => {
    const reg = registry();
    const enc = hub.entry('Xenova/opus-mt-es-en', 'onnx/encoder_model_quantized.onnx');
    hub.corrupt.add(enc.sha256);
    const err = await reg.translator('es', 'en').catch((e) => e);
    expect(err.code).toBe('model_corrupt');
    expect(err.localized('es')).toMatch(/está dañado/);
    const root = path.join((reg as unknown as { opts: RegistryOptions }).opts.dirs.cache, 'hub/Xenova/opus-mt-es-en');
    const all = readdirSync(root, { recursive: true }).map(String);
    expect(all.filter((f) => f.includes('encoder_model_quantized'))).toEqual([]);
    // Fixed upstream: the next request downloads it again and works.
    hub.corrupt.clear();
    expect((await reg.translator('es', 'en')).id).toBe('opus-mt-es-en');
    await reg.close();
  });

  it('a moved main does not change a locked model', async () => {
    const reg = registry(blobManifest());
    const [first] = await reg.files('blob');
    const lockedCommit = reg.state('blob', 'colorize').commit;
    hub.commit('test/blob', { 'weights.bin': Buffer.from('new weights'), 'notes.txt': Buffer.from('new') });
    const again = registry(blobManifest(), {
      dirs: { cache: tempDir() },
      lockFile: (reg as unknown as { opts: RegistryOptions }).opts.lockFile,
    });
    hub.requests.length = 0;
    const [file] = await again.files('blob');
    expect(readFileSync(file!).equals(blob)).toBe(true);
    expect(again.state('blob', 'colorize').commit).toBe(lockedCommit);
    expect(hub.requests.some((r) => r.url.includes('/api/'))).toBe(false);
    expect(readFileSync(first!).equals(blob)).toBe(true);
    // Put main back for the other tests.
    hub.commit('test/blob', { 'weights.bin': blob, 'notes.txt': Buffer.from('hello') });
  });

  it('a first-use lock counts only for the revision it was made for: a manifest moved to another tag is pinned again', async () => {
    const reg = registry(blobManifest());
    await reg.files('blob');
    const lockFile = (reg as unknown as { opts: RegistryOptions }).opts.lockFile;
    const v2 = hub.commit(
      'test/blob',
      { 'weights.bin': Buffer.from('v2 weights'), 'notes.txt': Buffer.from('v2') },
      'v2',
    );
    const moved = blobManifest();
    moved.models[0]!.hub!.revision = 'v2';
    const again = registry(moved, { lockFile });
    const [file] = await again.files('blob');
    expect(readFileSync(file!, 'utf8')).toBe('v2 weights');
    expect(again.state('blob', 'colorize')).toMatchObject({ commit: v2, locked_by: 'first-use' });
  });

  it('10 concurrent first requests make one download, and all of them see its progress', async () => {
    const reg = registry();
    const seen = new Set<number>();
    const enc = hub.entry('Xenova/opus-mt-en-es', 'onnx/encoder_model_quantized.onnx');
    const all = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        withDownloadListener(
          () => seen.add(i),
          () => reg.translator('en', 'es'),
        ),
      ),
    );
    expect(all.every((x) => x.id === 'opus-mt-en-es')).toBe(true);
    expect(cdnGets(enc.sha256)).toHaveLength(1);
    expect(hub.requests.filter((r) => r.url.includes('/revision/'))).toHaveLength(1);
    expect(seen.size).toBe(10);
    await reg.close();
  });

  it('two worker threads with their own registries over one cache make one download (a lock file, not memory)', async () => {
    const cache = tempDir();
    // 4 MB in four slow chunks: the second thread asks while the first is still downloading.
    hub.commit('test/slow', {
      'weights.bin': {
        size: 4 << 20,
        generate: (a, b) => Buffer.from(Array.from({ length: b - a }, (_, k) => (a + k) % 251)),
      },
    });
    const manifest = blobManifest();
    manifest.models[0]!.hub = { repo: 'test/slow', revision: 'main', files: [{ path: 'weights.bin' }] };
    hub.chunkDelayMs = 300;
    const start = () =>
      new Promise<{ files: { f: string; sha256: string }[] }>((resolve, reject) => {
        const w = new Worker(new URL('../src/queue/thread-entry.mjs', import.meta.url), {
          workerData: {
            entry: new URL('./fixtures/download-worker.ts', import.meta.url).href,
            manifest,
            cache,
            endpoint: hub.base,
            id: 'blob',
          },
        });
        w.once('message', (m) => (m.error ? reject(new Error(m.error)) : resolve(m)));
        w.once('error', reject);
      });
    try {
      const [a, b] = await Promise.all([start(), start()]);
      const sha = hub.entry('test/slow', 'weights.bin').sha256;
      expect(cdnGets(sha)).toHaveLength(1);
      // The first use pins the commit once: the other thread reads that pin instead of asking the hub again.
      expect(hub.requests.filter((r) => r.url.includes('/revision/'))).toHaveLength(1);
      expect(a.files).toEqual(b.files);
      expect(a.files.find((x) => x.f.endsWith('weights.bin'))!.sha256).toBe(sha);
      expect(readdirSync(path.dirname(a.files[0]!.f)).filter((f) => /\.(part|lock)$/.test(f))).toEqual([]);
    } finally {
      hub.chunkDelayMs = 0;
    }
  });

  it('an interrupted download resumes with a Range request', async () => {
    const reg = registry(blobManifest());
    hub.cutNext = 150_000;
    await expect(reg.files('blob')).rejects.toMatchObject({ code: 'model_download_failed' });
    expect(reg.state('blob', 'colorize')).toMatchObject({
      state: 'unavailable',
      reason: { code: 'last_download_failed' },
    });
    hub.requests.length = 0;
    const [file] = await reg.files('blob');
    expect(readFileSync(file!).equals(blob)).toBe(true);
    const get = hub.requests.find((r) => r.url.startsWith('/cdn/'));
    expect(get?.range).toMatch(/^bytes=\d+-$/);
    expect(Number(/=(\d+)/.exec(get!.range!)![1])).toBeGreaterThan(0);
  });

  it('a stalled download is abandoned with a clear error, and resumes next time', async () => {
    const reg = registry(blobManifest(), { stallMs: 300 });
    hub.stallNext = 100_000;
    const err = await reg.files('blob').catch((e) => e);
    expect(err.code).toBe('model_download_failed');
    expect(err.localized('en')).toMatch(/stalled/);
    const [file] = await reg.files('blob');
    expect(readFileSync(file!).equals(blob)).toBe(true);
  });

  it('a repo or revision that does not exist gives a clear error', async () => {
    const reg = registry();
    const repo = await reg.textGenerator('nobody/nothing').catch((e) => e);
    expect(repo.code).toBe('model_not_found');
    expect(repo.localized('en')).toMatch(/nobody\/nothing does not exist on 127\.0\.0\.1:\d+/);
    const rev = await reg.textGenerator('Xenova/opus-mt-es-en@v9').catch((e) => e);
    expect(rev.code).toBe('model_not_found');
    expect(rev.localized('en')).toMatch(/no revision "v9"/);
    expect(rev.localized('es')).toMatch(/: 127\.0\.0\.1:\d+ no tiene la revisión "v9" \(HTTP 404\)\. Revisá/);
  });

  it('an admin-named org/name@revision loads from the hub (files picked from its listing)', async () => {
    const reg = registry();
    const commit =
      reg.state('opus-mt-es-en', 'translate').commit ?? (await reg.hub.commitOf('Xenova/opus-mt-es-en', 'main'));
    const r = registry(readManifest(), { translationModels: { 'es-en': `Xenova/opus-mt-es-en@${commit}` } });
    const { id } = await r.translator('es', 'en');
    expect(id).toBe(`Xenova/opus-mt-es-en@${commit}`);
    await r.close();
  });

  it('with auto-download off: "no model installed for es → en" with the exact command, unlike "pair not supported"', async () => {
    const reg = registry(readManifest(), { autoDownload: false });
    const missing = await reg.translator('es', 'en').catch((e) => e);
    expect(missing.code).toBe('model_missing');
    expect(missing.localized('es')).toBe(
      'No hay ningún modelo de traducción es → en instalado en este servidor y las descargas automáticas están desactivadas. Un administrador lo puede instalar con: npm run models:pull -- opus-mt-es-en',
    );
    const pair = await reg.translator('fr', 'de').catch((e) => e);
    expect(pair.code).toBe('unsupported_pair');
    expect(pair.localized('en')).not.toMatch(/installed/);
    expect(reg.state('opus-mt-es-en', 'translate')).toMatchObject({
      state: 'unavailable',
      reason: { code: 'auto_download_off', params: { command: 'npm run models:pull -- opus-mt-es-en' } },
    });
    expect(hub.requests).toEqual([]);
  });

  it('HF_TOKEN goes to the hub, never to the CDN it redirects to', async () => {
    hub.token = 'hf_secret';
    try {
      const denied = registry(blobManifest());
      await expect(denied.files('blob')).rejects.toMatchObject({ code: 'model_not_found' });
      const reg = registry(blobManifest(), { hub: { endpoint: hub.base, token: 'hf_secret' } });
      await reg.files('blob');
      const api = hub.requests.filter((r) => !r.url.startsWith('/cdn/') && r.authorization);
      expect(api.length).toBeGreaterThan(0);
      expect(hub.requests.filter((r) => r.url.startsWith('/cdn/')).every((r) => !r.authorization)).toBe(true);
    } finally {
      hub.token = undefined;
    }
  });

  it('a manifest hint that disagrees with the hub is reported loudly but does not block', async () => {
    const warnings: unknown[] = [];
    const reg = registry(blobManifest({ sha256: '0'.repeat(64), size: 123 }), {
      warn: (msg, extra) => warnings.push({ msg, extra }),
    });
    await reg.files('blob');
    expect(warnings.length).toBe(2);
    expect(reg.state('blob', 'colorize').warnings).toHaveLength(2);
  });

  it("/colorize: when the default colorizer's repo is gone, the next manifest entry (Zhang-style I/O) stands in", async () => {
    hub.commit('test/zhang', {
      'colorizer.onnx': readFileSync(path.join(FIXTURES, 'colorizer-lightness/colorizer-lightness-256.onnx')),
    });
    const entry = (id: string, repo: string, file: string, input: 'grey-rgb' | 'lightness') => ({
      id,
      task: 'colorize',
      runtime: 'onnxruntime' as const,
      description: 'd',
      licence: 'MIT',
      source: 'https://example.org',
      input,
      hub: { repo, revision: 'main', files: [{ path: file }] },
    });
    const warnings: unknown[] = [];
    const reg = registry(
      {
        models: [
          entry('ddcolor', 'gone/ddcolor', 'ddcolor.onnx', 'grey-rgb'),
          entry('zhang', 'test/zhang', 'colorizer.onnx', 'lightness'),
        ],
      },
      { warn: (m) => warnings.push(m) },
    );
    const c = await reg.colorizer();
    expect([c.id, c.input]).toEqual(['zhang', 'lightness']);
    expect(c.session.inputNames).toEqual(['input']);
    expect(warnings).toHaveLength(1);
    await reg.close();
  });

  it('a load that takes too long fails clearly and is not cached: the next request loads again', async () => {
    const reg = registry(readManifest(), { loadTimeoutMs: 1 });
    const err = await reg.translator('es', 'en').catch((e) => e);
    expect(err.code).toBe('model_load_timeout');
    expect(err.localized('es')).toMatch(/tardó más de 1 s en cargarse/);
    (reg as unknown as { opts: RegistryOptions }).opts.loadTimeoutMs = undefined;
    expect((await reg.translator('es', 'en')).id).toBe('opus-mt-es-en');
    await reg.close();
  });

  it("/explain's optional embedding model is not retried at every question after a failed download", async () => {
    const reg = registry();
    await expect(reg.embedder()).rejects.toMatchObject({ code: 'model_not_found' });
    hub.requests.length = 0;
    await expect(reg.embedder()).rejects.toMatchObject({ code: 'model_download_failed' });
    expect(hub.requests).toEqual([]);
  });

  it('free disk space is checked before downloading, with a clear message', async () => {
    const err = await ensureDiskSpace(tempDir(), 1e15).catch((e) => e);
    expect(err).toBeInstanceOf(DiskSpaceError);
    expect(err.message).toMatch(/not enough disk space in .*: \d+ MB needed, \d+ MB free/);
    await expect(ensureDiskSpace(path.join(tempDir(), 'not/yet/created'), 1000)).resolves.toBeUndefined();
    const { SinapsisError } = await import('../src/errors.js');
    expect(new SinapsisError('disk_full', { model: 'opus-mt-es-en', needed: 170, free: 20 }).localized('es')).toBe(
      'No hay espacio suficiente en el disco de este servidor para descargar el modelo "opus-mt-es-en" (hacen falta 170 MB y hay 20 MB libres). Un administrador tiene que liberar espacio.',
    );
  });

  it('a model path that is a folder is a damaged model, not a crash', async () => {
    const reg = registry(blobManifest());
    await reg.files('blob');
    const st = reg.state('blob', 'colorize');
    const cache = (reg as unknown as { opts: RegistryOptions }).opts.dirs.cache;
    const file = path.join(cache, 'hub/test/blob', st.commit!, 'notes.txt');
    const { rmSync } = await import('node:fs');
    rmSync(file);
    mkdirSync(file);
    await expect(reg.files('blob')).rejects.toMatchObject({ code: 'model_corrupt' });
    expect(existsSync(file)).toBe(true);
  });
});
