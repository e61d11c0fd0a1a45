// Issue 12, item 2: a model load that never finishes (here a download that stalls: the server sends
// headers and a few bytes, then nothing) must not wedge the queue, /healthz must say so, and SIGTERM
// must end the process in bounded time, telling the waiting users. A FIFO in place of a model file,
// the audit's first way to hang a load, is now refused before it is opened (last test).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdirSync, readdirSync, readFileSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { tempDir, testApp } from './helpers/app.js';
import { describeWith, facesDir, MODELS_DIR, ROOT, yunetFile } from './helpers/assets.js';
import { form } from './helpers/web.js';

const [bin, ...args] = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')).scripts.start.split(' ');
const photo = path.join(facesDir, '2008_001009.jpg');

/** The shared models without YuNet's folder. */
function modelsWithoutYunet(): string {
  const models = tempDir();
  for (const d of readdirSync(MODELS_DIR))
    if (d !== 'yunet') symlinkSync(path.join(MODELS_DIR, d), path.join(models, d));
  return models;
}

describeWith('a model download that stalls (a load that never ends)', [yunetFile, photo], () => {
  let child: ChildProcess;
  let url: string;
  let log = '';
  let mirror: Server;
  const held: ServerResponse[] = [];

  beforeAll(async () => {
    // A mirror that answers with headers and 1 KB of the file, then never sends the rest.
    mirror = createServer((_req, res) => {
      res.writeHead(200, { 'content-length': String(317466), 'content-type': 'application/octet-stream' });
      res.write(Buffer.alloc(1024));
      held.push(res);
    });
    await new Promise<void>((r) => mirror.listen(0, '127.0.0.1', r));
    const mirrorUrl = `http://127.0.0.1:${(mirror.address() as AddressInfo).port}`;
    child = spawn(path.join(ROOT, 'node_modules/.bin', bin), args, {
      cwd: ROOT,
      env: {
        ...process.env,
        PORT: '0',
        HOST: '127.0.0.1',
        SINAPSIS_DATA_DIR: tempDir(),
        SINAPSIS_MODELS_DIR: modelsWithoutYunet(),
        SINAPSIS_AUTO_DOWNLOAD: 'true',
        SINAPSIS_MODEL_MIRROR: mirrorUrl,
        SINAPSIS_DOWNLOAD_STALL_S: '120',
        SINAPSIS_WARM_MODELS: '',
        SINAPSIS_CONCURRENCY: '1',
        SINAPSIS_JOB_TIMEOUT_S: '1',
        SINAPSIS_SHUTDOWN_TIMEOUT_S: '2',
        DISCORD_TOKEN: '',
        SLACK_BOT_TOKEN: '',
        LOG_LEVEL: 'info',
      },
    });
    child.stdout!.on('data', (d) => (log += d));
    child.stderr!.on('data', (d) => (log += d));
    url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no start line in:\n${log}`)), 30_000);
      child.stdout!.on('data', () => {
        const m = /playground on (http:\/\/127\.0\.0\.1:\d+)/.exec(log);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]!);
        }
      });
    });
  });

  afterAll(async () => {
    if (child.exitCode === null) child.kill('SIGKILL');
    for (const res of held) res.destroy();
    await new Promise((r) => mirror.close(r));
  });

  const detect = () =>
    fetch(`${url}/api/commands/detect-faces`, {
      method: 'POST',
      body: form({ image: readFileSync(photo) }),
      headers: { 'accept-language': 'es' },
    });
  const explain = () =>
    fetch(`${url}/api/commands/explain`, {
      method: 'POST',
      body: JSON.stringify({ topic: 'qué es una neurona' }),
      headers: { 'content-type': 'application/json', 'accept-language': 'es' },
    });

  it('the hung job times out, an unrelated request still runs, and /healthz reports degraded', async () => {
    const t0 = Date.now();
    const [hung, other] = await Promise.all([detect(), new Promise((r) => setTimeout(r, 100)).then(explain)]);
    expect(hung.status).toBe(504);
    expect((await hung.json()).error).toMatchObject({
      code: 'timeout',
      message: expect.stringMatching(/tardó demasiado/),
    });
    expect(other.status).toBe(200);
    expect((await other.json()).text).toMatch(/neurona/i);
    // Timeout (1 s) + grace (1 s) + the explain itself: never "for ever".
    expect(Date.now() - t0).toBeLessThan(20_000);
    const health = await fetch(`${url}/healthz`);
    expect(health.status).toBe(503);
    expect(await health.json()).toMatchObject({ status: 'degraded', queue: { stuck: expect.any(Number) } });
    // A second request for the same model waits on the same stalled download: it also times out, it does not hang.
    const again = await detect();
    expect(again.status).toBe(504);
  });

  it('SIGTERM with a request in flight: the user is told the bot is restarting and the process exits within the bound', async () => {
    const pending = detect();
    await new Promise((r) => setTimeout(r, 300));
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    const t0 = Date.now();
    child.kill('SIGTERM');
    const r = await pending;
    expect(r.status).toBe(503);
    expect((await r.json()).error).toMatchObject({
      code: 'shutting_down',
      message: expect.stringMatching(/reiniciando/),
    });
    const code = await Promise.race([exited, new Promise((r) => setTimeout(() => r('never'), 8_000))]);
    if (code === 'never') console.log(log);
    expect(code).not.toBe('never');
    expect(Date.now() - t0).toBeLessThan(2_000 + 6_000);
  });
});

describeWith('a model file that is a FIFO', [yunetFile, photo], () => {
  it('is refused as damaged before it is opened (a read would never end), and the server keeps serving', async () => {
    const models = modelsWithoutYunet();
    mkdirSync(path.join(models, 'yunet'));
    expect(spawnSync('mkfifo', [path.join(models, 'yunet/yunet_n_640_640.onnx')]).status).toBe(0);
    const app = testApp({ SINAPSIS_MODELS_DIR: models });
    try {
      const run = (command: string, options: Record<string, unknown>, images = {}) =>
        app.service.run({ command, options, images, ctx: { platform: 'test', userId: 'u', lang: 'en' } });
      await expect(run('detect-faces', {}, { image: readFileSync(photo) })).rejects.toMatchObject({
        code: 'model_corrupt',
      });
      expect((await run('explain', { topic: 'what is a neuron' })).text).toMatch(/neuron/i);
    } finally {
      await app.dispose();
    }
  });
});
