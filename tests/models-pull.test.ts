import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ModelRegistry } from '../src/models/registry.js';
import type { Manifest } from '../src/models/manifest.js';
import { ChecksumError, pullFile } from '../src/models/pull.js';
import { tempDir } from './helpers/app.js';

// A model server on 127.0.0.1 that honours Range, can cut a response short, and counts requests.
const payload = Buffer.from(Array.from({ length: 300_000 }, (_, i) => (i * 7919) % 251));
const sha = createHash('sha256').update(payload).digest('hex');
let server: Server;
let base = '';
let cutNext = 0;
const ranges: (string | undefined)[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    ranges.push(req.headers.range);
    if (req.url !== '/m/model.bin') return res.writeHead(404).end();
    const m = /bytes=(\d+)-/.exec(req.headers.range ?? '');
    const start = m ? Number(m[1]) : 0;
    const body = payload.subarray(start);
    res.writeHead(m ? 206 : 200, {
      'content-length': body.length,
      ...(m ? { 'content-range': `bytes ${start}-${payload.length - 1}/${payload.length}` } : {}),
    });
    if (cutNext) {
      const n = cutNext;
      cutNext = 0;
      // A clean close after n bytes (FIN, not a reset): the client keeps what it read.
      res.write(body.subarray(0, n), () => res.socket?.end());
    } else res.end(body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

const file = () => ({ path: 'm/model.bin', url: `${base}/m/model.bin`, sha256: sha, size: payload.length });

describe('model download (pull)', () => {
  it('downloads, reports progress, verifies sha256 and then finds the file present', async () => {
    const cache = tempDir();
    const progress: number[] = [];
    const r = await pullFile({ cache }, file(), { onProgress: (p) => progress.push(p.received) });
    expect(r.outcome).toBe('downloaded');
    expect(readFileSync(r.path).equals(payload)).toBe(true);
    expect(progress.at(-1)).toBe(payload.length);
    expect((await pullFile({ cache }, file())).outcome).toBe('present');
    rmSync(cache, { recursive: true });
  });

  it('resumes an interrupted download with a Range request', async () => {
    const cache = tempDir();
    cutNext = 100_000;
    await expect(pullFile({ cache }, file())).rejects.toThrow();
    expect(statSync(path.join(cache, 'm/model.bin.part')).size).toBeGreaterThan(0);
    ranges.length = 0;
    const r = await pullFile({ cache }, file());
    expect(r.outcome).toBe('resumed');
    expect(ranges[0]).toMatch(/^bytes=\d+-$/);
    expect(readFileSync(r.path).equals(payload)).toBe(true);
    rmSync(cache, { recursive: true });
  });

  it('refuses a file whose sha256 does not match and leaves nothing behind', async () => {
    const cache = tempDir();
    const bad = { ...file(), sha256: '0'.repeat(64) };
    await expect(pullFile({ cache }, bad)).rejects.toBeInstanceOf(ChecksumError);
    expect(existsSync(path.join(cache, 'm/model.bin'))).toBe(false);
    expect(existsSync(path.join(cache, 'm/model.bin.part'))).toBe(false);
    rmSync(cache, { recursive: true });
  });

  it('uses a local folder as is, without any request', async () => {
    const local = tempDir();
    mkdirSync(path.join(local, 'm'));
    writeFileSync(path.join(local, 'm/model.bin'), payload);
    ranges.length = 0;
    const r = await pullFile({ local, cache: tempDir() }, { ...file(), url: 'http://127.0.0.1:9/unreachable' });
    expect(r).toEqual({ path: path.join(local, 'm/model.bin'), outcome: 'present' });
    expect(ranges).toEqual([]);
  });

  it('fetches from a mirror when one is configured', async () => {
    const cache = tempDir();
    const r = await pullFile({ cache }, { ...file(), url: 'http://127.0.0.1:9/unreachable' }, { mirror: base });
    expect(r.outcome).toBe('downloaded');
  });
});

describe('model registry', () => {
  const manifest = (url: string): Manifest => ({
    models: [
      {
        id: 'm',
        task: 't',
        runtime: 'onnxruntime',
        description: 'd',
        licence: 'MIT',
        source: url,
        files: [{ path: 'm/model.bin', url, sha256: sha, size: payload.length }],
      },
    ],
  });

  it('downloads on first use when allowed, says model_missing when not, and a real error when the server is down', async () => {
    const cache = tempDir();
    const reg = new ModelRegistry(manifest(`${base}/m/model.bin`), {
      dirs: { cache },
      autoDownload: true,
      ortThreads: 1,
    });
    expect(await reg.files('m')).toEqual([path.join(cache, 'm/model.bin')]);
    const off = new ModelRegistry(manifest(`${base}/m/model.bin`), {
      dirs: { cache: tempDir() },
      autoDownload: false,
      ortThreads: 1,
    });
    await expect(off.files('m')).rejects.toMatchObject({ code: 'model_missing' });
    const down = new ModelRegistry(manifest('http://127.0.0.1:9/none'), {
      dirs: { cache: tempDir() },
      autoDownload: true,
      ortThreads: 1,
    });
    // A real error, host and cause, never just "fetch failed".
    const err = await down.files('m').catch((e) => e);
    expect(err.code).toBe('model_download_failed');
    expect(err.localized('en')).toMatch(/could not reach 127\.0\.0\.1:9 \(/);
    // The Spanish reply says it in Spanish too (the error code reads the same in both).
    expect(err.localized('es')).toMatch(/: no pude conectarme con 127\.0\.0\.1:9 \(ECONNREFUSED\)\. Probá de nuevo/);
  });

  it('says model_corrupt for a damaged file, and retries on the next request', async () => {
    const local = tempDir();
    mkdirSync(path.join(local, 'm'));
    writeFileSync(path.join(local, 'm/model.bin'), Buffer.from('not a model'));
    const reg = new ModelRegistry(manifest(`${base}/m/model.bin`), {
      dirs: { local, cache: tempDir() },
      autoDownload: false,
      ortThreads: 1,
    });
    await expect(reg.onnxSession('m')).rejects.toMatchObject({ code: 'model_corrupt' });
    await expect(reg.onnxSession('m')).rejects.toMatchObject({ code: 'model_corrupt' });
  });
});
