// Every bad input of the foundation issue, through both the CLI and the HTTP API:
// the same localized error body, a non-zero exit / a 4xx-5xx status, and the
// server still answers the next request.
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { tempDir } from './helpers/app.js';
import { describeWith, facesDir, MODELS_DIR, ROOT, yunetFile } from './helpers/assets.js';
import { pngClaiming } from './helpers/images.js';
import { form, startWeb } from './helpers/web.js';

const photo = path.join(facesDir, '2008_001009.jpg');

/**
 * The CLI in a child process, awaited (not spawnSync): the servers under test live in this process,
 * and a loop blocked for the CLI's seconds would let their keep-alive timeouts and the client's
 * reuse of a pooled connection fire at once when it wakes (ECONNRESET on the next request).
 */
function cli(
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number | null; body: { error: { code: string; message: string } } }> {
  return new Promise((resolve) => {
    const child = execFile(
      'npm',
      ['run', '--silent', 'cli', '--', ...args, '--json', '--lang', 'es'],
      {
        cwd: ROOT,
        encoding: 'utf8',
        env: { ...process.env, SINAPSIS_DATA_DIR: tempDir(), SINAPSIS_AUTO_DOWNLOAD: 'false', ...env },
        timeout: 60_000,
        maxBuffer: 16 * 1024 * 1024,
      },
      (_err, stdout) => resolve({ code: child.exitCode, body: JSON.parse(stdout) }),
    );
  });
}

describeWith('bad input: same error from the CLI and the API, and the server keeps serving', [yunetFile, photo], () => {
  const brokenModels = tempDir();
  const emptyModels = tempDir();
  mkdirSync(path.join(brokenModels, 'yunet'));
  writeFileSync(path.join(brokenModels, 'yunet/yunet_n_640_640.onnx'), Buffer.alloc(1000, 3));
  const files = tempDir();
  const write = (name: string, bytes: Buffer) => {
    writeFileSync(path.join(files, name), bytes);
    return path.join(files, name);
  };
  const good = readFileSync(photo);
  const cases = [
    {
      name: 'not an image',
      file: write('notes.jpg', Buffer.from('hola, esto no es una foto')),
      code: 'not_an_image',
      status: 415,
    },
    {
      name: 'truncated JPEG',
      file: write('cut.jpg', good.subarray(0, good.length >> 1)),
      code: 'corrupt_image',
      status: 422,
    },
    {
      name: '30000×30000 PNG header',
      file: write('bomb.png', pngClaiming(30000, 30000)),
      code: 'image_too_many_pixels',
      status: 413,
    },
    {
      name: '50 MB upload',
      file: write('huge.jpg', Buffer.concat([good, Buffer.alloc(50 * 1024 * 1024)])),
      code: 'upload_too_large',
      status: 413,
    },
    { name: 'unknown command', command: 'paint', file: photo, code: 'unknown_command', status: 404 },
    { name: 'unknown option', extra: { colour: 'red' }, file: photo, code: 'unknown_option', status: 400 },
    { name: 'missing model file', models: emptyModels, file: photo, code: 'model_missing', status: 503 },
    { name: 'corrupt model file', models: brokenModels, file: photo, code: 'model_corrupt', status: 503 },
  ];

  const servers = new Map<string, Awaited<ReturnType<typeof startWeb>>>();
  beforeAll(async () => {
    for (const dir of [MODELS_DIR, emptyModels, brokenModels])
      servers.set(dir, await startWeb({ SINAPSIS_MODELS_DIR: dir }));
  });
  afterAll(async () => {
    for (const s of servers.values()) await s.stop();
  });

  for (const c of cases) {
    it(c.name, async () => {
      const models = c.models ?? MODELS_DIR;
      const command = c.command ?? 'detect-faces';
      const extra = Object.entries(c.extra ?? {}).flatMap(([k, v]) => [`--${k}`, v]);
      const fromCli = await cli([command, '--image', c.file, ...extra], { SINAPSIS_MODELS_DIR: models });
      expect(fromCli.code).not.toBe(0);
      expect(fromCli.body.error.code).toBe(c.code);

      const s = servers.get(models)!;
      const res = await fetch(`${s.url}/api/commands/${command}`, {
        method: 'POST',
        body: form({ image: readFileSync(c.file), ...(c.extra ?? {}) }),
        headers: { 'accept-language': 'es-AR' },
      });
      expect(res.status).toBe(c.status);
      const fromHttp = await res.json();
      // The unknown-option message lists valid names; the CLI's "image" flag is the API's field.
      expect(fromHttp).toEqual(fromCli.body);
      expect(fromHttp.error.message).not.toBe('');

      expect((await fetch(`${s.url}/healthz`)).status).toBe(200);
      const next = await fetch(`${servers.get(MODELS_DIR)!.url}/api/commands/detect-faces`, {
        method: 'POST',
        body: form({ image: good }),
      });
      expect(next.status).toBe(200);
    });
  }
});
