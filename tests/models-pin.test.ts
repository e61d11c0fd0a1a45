import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readManifest } from '../src/models/manifest.js';
import { pinEntry } from '../src/models/pin.js';
import { ModelRegistry } from '../src/models/registry.js';
import { pullModel } from '../src/models/pull.js';
import { tempDir } from './helpers/app.js';
import { ROOT } from './helpers/assets.js';

// Two files of a pending model, served from 127.0.0.1 as the model hub would.
const files: Record<string, Buffer> = { '/config.json': Buffer.from('{"model_type":"bert"}'), '/onnx/model.onnx': Buffer.alloc(70_000, 3) };
const MARIAN = path.join(ROOT, 'tests/fixtures/models/marian-tiny-es-en');
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
let server: Server;
let base = '';
beforeAll(async () => {
  server = createServer((req, res) => {
    const url = req.url ?? '';
    // The tiny Marian fixture, as a hub repository would serve it.
    const body = url.startsWith('/marian/') ? readFileSync(path.join(MARIAN, url.slice('/marian/'.length))) : files[url];
    if (!body) return res.writeHead(404).end();
    res.writeHead(200, { 'content-length': body.length }).end(body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

describe('models:pin (maintainers, with internet)', () => {
  it('downloads a pending default, records sha256 and size, and moves it to "models"; users then pull it verified', async () => {
    const dir = tempDir();
    const manifestFile = path.join(dir, 'manifest.json');
    const pending = (id: string, paths: string[]) => ({
      id, task: 'embed', runtime: 'transformers', description: 'd', licence: 'MIT', source: base, folder: id, dtype: 'q8',
      files: paths.map((p) => ({ path: `${id}${p}`, url: `${base}${p}` })), blocked: 'hub unreachable here',
    });
    const manifest = { models: [], pending: [pending('tiny-embed', ['/config.json', '/onnx/model.onnx']), pending('needs-export', []), pending('gone', ['/missing.onnx'])] };
    writeFileSync(manifestFile, JSON.stringify(manifest));
    const cache = path.join(dir, 'data');
    // Asynchronously: the model server runs in this process.
    const r = await promisify(execFile)('npm', ['run', '--silent', 'models:pin'], { cwd: ROOT, encoding: 'utf8', timeout: 60_000, env: { ...process.env, SINAPSIS_MANIFEST: manifestFile, SINAPSIS_DATA_DIR: cache, SINAPSIS_MODELS_CACHE: path.join(cache, 'models') } }).then(
      (ok) => ({ status: 0, ...ok }),
      (err) => ({ status: err.code as number, stdout: err.stdout as string, stderr: err.stderr as string }),
    );
    // Two entries could not be pinned (no files yet; a file the server does not have): exit 1, each said.
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/needs-export has no downloadable files yet: hub unreachable here/);
    expect(r.stderr).toMatch(/gone: Download of gone\/missing\.onnx failed: HTTP 404/);
    const pinned = readManifest(manifestFile);
    expect(pinned.pending.map((p) => p.id)).toEqual(['needs-export', 'gone']);
    expect(pinned.models).toHaveLength(1);
    expect(pinned.models[0]).toMatchObject({ id: 'tiny-embed', folder: 'tiny-embed', dtype: 'q8' });
    expect(pinned.models[0]!.files).toEqual([
      { path: 'tiny-embed/config.json', url: `${base}/config.json`, sha256: sha(files['/config.json']!), size: files['/config.json']!.length },
      { path: 'tiny-embed/onnx/model.onnx', url: `${base}/onnx/model.onnx`, sha256: sha(files['/onnx/model.onnx']!), size: 70_000 },
    ]);
    expect(r.stdout).toContain(`tiny-embed: tiny-embed/onnx/model.onnx 70000 bytes sha256 ${sha(files['/onnx/model.onnx']!)}`);
    // The pinned file is in the maintainer's cache; a user's fresh cache downloads and verifies it.
    expect(readFileSync(path.join(cache, 'models/tiny-embed/onnx/model.onnx')).length).toBe(70_000);
    const pulled = await pullModel({ cache: tempDir() }, pinned.models[0]!);
    expect(pulled.map((x) => x.outcome)).toEqual(['downloaded', 'downloaded']);
  });

  it('the project manifest parses, and every pending default says why it is pending', () => {
    const m = readManifest();
    expect(m.pending.map((p) => p.id).sort()).toEqual(['ddcolor-tiny', 'multilingual-e5-small', 'opus-mt-en-es', 'opus-mt-es-en', 'qwen2.5-0.5b-instruct']);
    for (const p of m.pending) expect(p.blocked.length).toBeGreaterThan(20);
    // Pending entries are never offered to the registry as downloadable models.
    expect(m.models.map((x) => x.id)).not.toContain('opus-mt-es-en');
  });

  it('a pinned transformers.js default is downloaded on first use, verified, and serves its command', async () => {
    const entry = {
      id: 'tiny-es-en', task: 'translate', runtime: 'transformers' as const, description: 'd', licence: 'MIT', source: base, folder: 'tiny-es-en', dtype: 'fp32' as const, pair: ['es', 'en'] as [string, string],
      files: ['config.json', 'generation_config.json', 'tokenizer.json', 'tokenizer_config.json', 'onnx/encoder_model.onnx', 'onnx/decoder_model_merged.onnx'].map((f) => ({ path: `tiny-es-en/${f}`, url: `${base}/marian/${f}` })),
      blocked: 'x',
    };
    const model = await pinEntry(tempDir(), entry);
    const registry = new ModelRegistry({ models: [model], pending: [] }, { dirs: { cache: tempDir() }, autoDownload: true, ortThreads: 1 });
    try {
      expect(registry.translationPairs()).toEqual({ 'es-en': 'tiny-es-en' });
      const { translator, id } = await registry.translator('es', 'en');
      expect(id).toBe('tiny-es-en');
      const out = (await translator('hola', { max_new_tokens: 8 } as never)) as { translation_text: string }[];
      expect(typeof out[0]!.translation_text).toBe('string');
    } finally {
      await registry.close();
    }
  });
});
