// Issue 12, item 2: a model file that never finishes reading (a FIFO) must not wedge the queue,
// /healthz must say so, and SIGTERM must end the process in bounded time, telling the waiting users.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, constants, mkdirSync, openSync, readdirSync, readFileSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { tempDir } from './helpers/app.js';
import { describeWith, facesDir, MODELS_DIR, ROOT, yunetFile } from './helpers/assets.js';
import { form } from './helpers/web.js';

const [bin, ...args] = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')).scripts.start.split(' ');
const photo = path.join(facesDir, '2008_001009.jpg');

describeWith('a model file that is a FIFO (a read that never ends)', [yunetFile, photo], () => {
  let child: ChildProcess;
  let url: string;
  let log = '';
  let fifo: string;

  beforeAll(async () => {
    // The shared models, except YuNet's file: a FIFO nobody writes to.
    const models = tempDir();
    for (const d of readdirSync(MODELS_DIR)) if (d !== 'yunet') symlinkSync(path.join(MODELS_DIR, d), path.join(models, d));
    mkdirSync(path.join(models, 'yunet'));
    fifo = path.join(models, 'yunet/yunet_n_640_640.onnx');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    child = spawn(path.join(ROOT, 'node_modules/.bin', bin), args, {
      cwd: ROOT,
      env: {
        ...process.env, PORT: '0', HOST: '127.0.0.1', SINAPSIS_DATA_DIR: tempDir(), SINAPSIS_MODELS_DIR: models, SINAPSIS_AUTO_DOWNLOAD: 'false',
        SINAPSIS_CONCURRENCY: '1', SINAPSIS_JOB_TIMEOUT_S: '1', SINAPSIS_SHUTDOWN_TIMEOUT_S: '2', DISCORD_TOKEN: '', SLACK_BOT_TOKEN: '', LOG_LEVEL: 'info',
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

  afterAll(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
    // Let the reader blocked on the FIFO go (if it is still there) so nothing lingers.
    try {
      closeSync(openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK));
    } catch {
      // No reader left: nothing to release.
    }
  });

  const detect = () => fetch(`${url}/api/commands/detect-faces`, { method: 'POST', body: form({ image: readFileSync(photo) }), headers: { 'accept-language': 'es' } });
  const explain = () => fetch(`${url}/api/commands/explain`, { method: 'POST', body: JSON.stringify({ topic: 'qué es una neurona' }), headers: { 'content-type': 'application/json', 'accept-language': 'es' } });

  it('the hung job times out, an unrelated request still runs, and /healthz reports degraded', async () => {
    const t0 = Date.now();
    const [hung, other] = await Promise.all([detect(), new Promise((r) => setTimeout(r, 100)).then(explain)]);
    expect(hung.status).toBe(504);
    expect((await hung.json()).error).toMatchObject({ code: 'timeout', message: expect.stringMatching(/tardó demasiado/) });
    expect(other.status).toBe(200);
    expect((await other.json()).text).toMatch(/neurona/i);
    // Timeout (1 s) + grace (1 s) + the explain itself: never "for ever".
    expect(Date.now() - t0).toBeLessThan(20_000);
    const health = await fetch(`${url}/healthz`);
    expect(health.status).toBe(503);
    expect(await health.json()).toMatchObject({ status: 'degraded', queue: { stuck: expect.any(Number) } });
    // A second request for the same model waits on the same hung load: it also times out, it does not hang.
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
    expect((await r.json()).error).toMatchObject({ code: 'shutting_down', message: expect.stringMatching(/reiniciando/) });
    const code = await Promise.race([exited, new Promise((r) => setTimeout(() => r("never"), 8_000))]);
    if (code === "never") console.log(log);
    expect(code).not.toBe('never');
    expect(Date.now() - t0).toBeLessThan(2_000 + 6_000);
  });
});
