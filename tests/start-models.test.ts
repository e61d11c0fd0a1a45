import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { expect, it } from 'vitest';
import { tempDir } from './helpers/app.js';
import { ROOT } from './helpers/assets.js';

const [bin, ...args] = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')).scripts.start.split(' ');

it('npm start logs, per command, its model and state (installed / will download N MB / unavailable and why), without touching the network', async () => {
  const child = spawn(path.join(ROOT, 'node_modules/.bin', bin), args, {
    cwd: ROOT,
    env: {
      ...process.env,
      PORT: '0',
      HOST: '127.0.0.1',
      SINAPSIS_DATA_DIR: tempDir(),
      DISCORD_TOKEN: '',
      SLACK_BOT_TOKEN: '',
      HF_ENDPOINT: 'http://127.0.0.1:9',
      SINAPSIS_AUTO_DOWNLOAD: 'true',
    },
  });
  let log = '';
  child.stdout.on('data', (d) => (log += d));
  child.stderr.on('data', (d) => (log += d));
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no start line in:\n${log}`)), 30_000);
      child.stdout.on('data', () => /playground on http/.test(log) && (clearTimeout(timer), resolve()));
      child.on('exit', () => reject(new Error(`exited early:\n${log}`)));
    });
    const lines = log
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l));
    const translate = lines.find((l) => l.command === 'translate' && l.model === 'opus-mt-es-en');
    expect(translate).toMatchObject({
      state: 'download',
      repo: 'Xenova/opus-mt-es-en',
      mb: 113,
      msg: 'model will download on first use',
    });
    expect(lines.find((l) => l.command === 'colorize')).toMatchObject({
      model: 'ddcolor-tiny',
      state: 'download',
      mb: 113,
    });
    expect(lines.find((l) => l.command === 'generate-text')).toMatchObject({
      model: 'qwen2.5-0.5b-instruct',
      state: 'download',
    });
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
  }
});
