import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { expect, it } from 'vitest';
import { tempDir } from './helpers/app.js';
import { ROOT } from './helpers/assets.js';

// npm itself dies by the signal, so run the start script's own command to see the app's exit code.
const [bin, ...args] = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')).scripts.start.split(' ');

it('the start script with no settings serves the playground, and stops cleanly on SIGTERM', async () => {
  const child = spawn(path.join(ROOT, 'node_modules/.bin', bin), args, {
    cwd: ROOT,
    env: {
      ...process.env,
      PORT: '0',
      HOST: '127.0.0.1',
      SINAPSIS_DATA_DIR: tempDir(),
      DISCORD_TOKEN: '',
      SLACK_BOT_TOKEN: '',
    },
  });
  let log = '';
  child.stdout.on('data', (d) => (log += d));
  child.stderr.on('data', (d) => (log += d));
  try {
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no start line in:\n${log}`)), 30_000);
      const check = () => {
        const m = /playground on (http:\/\/127\.0\.0\.1:\d+)/.exec(log);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]!);
        }
      };
      child.stdout.on('data', check);
      child.on('exit', () => reject(new Error(`exited early:\n${log}`)));
    });
    expect(await (await fetch(`${url}/healthz`)).json()).toMatchObject({ status: 'ok' });
    expect(await (await fetch(`${url}/`, { headers: { 'accept-language': 'es' } })).text()).toContain(
      '/detectar-caras',
    );
    // The model state at start, then one line per request (never its content).
    const lines = log
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l));
    expect(lines.find((l) => l.command === 'detect-faces')).toMatchObject({
      model: expect.any(String),
      state: expect.stringMatching(/^(installed|download|unavailable)$/),
    });
    await expect.poll(() => log.split('\n').filter((l) => l.includes('"msg":"request"')).length).toBe(2);
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
  }
});
