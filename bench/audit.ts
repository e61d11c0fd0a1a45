// `npm run --silent bench -- audit`: re-runs issue 12's outside audit against the real server
// (spawned like `npm start`) and prints tried / clean / crash / hang per class, jobs lost and quota
// state after kill -9. Needs ../shared (models, photos); the full-disk phase needs root (tmpfs).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import {
  closeSync,
  constants,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:http';
import { connect } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import sharp from 'sharp';

const ROOT = path.resolve(import.meta.dirname, '..');
const MODELS = path.resolve(process.env.SINAPSIS_MODELS_DIR ?? path.join(ROOT, '../shared/models'));
const PHOTO = path.join(MODELS, '../data/faces-dlib/2008_001009.jpg');
const COLORIZER = path.join(ROOT, 'tests/fixtures/models/colorizer-tiny/colorizer-tiny-512.onnx');
const TOKEN = 'audit-admin-token-0123456789';
const HANG_MS = 40_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const tmp = () => mkdtempSync(path.join(os.tmpdir(), 'sinapsis-audit-'));

interface Server {
  url: string;
  port: number;
  child: ChildProcess;
  log: () => string;
  alive: () => boolean;
}

async function start(env: Record<string, string>): Promise<Server> {
  // One process (no tsx wrapper), so kill -9 hits the server itself.
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: ROOT,
    env: {
      ...process.env,
      PORT: '0',
      HOST: '127.0.0.1',
      DISCORD_TOKEN: '',
      SLACK_BOT_TOKEN: '',
      SINAPSIS_AUTO_DOWNLOAD: 'false',
      SINAPSIS_MODELS_DIR: MODELS,
      LOG_LEVEL: 'info',
      ...env,
    },
  });
  let log = '';
  child.stdout!.on('data', (d) => (log += d));
  child.stderr!.on('data', (d) => (log += d));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no start line:\n${log}`)), 60_000);
    const check = () => {
      const m = /playground on (http:\/\/127\.0\.0\.1:\d+)/.exec(log);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    };
    child.stdout!.on('data', check);
    child.on('exit', () => reject(new Error(`exited:\n${log}`)));
  });
  return {
    url,
    port: Number(new URL(url).port),
    child,
    log: () => log,
    alive: () => child.exitCode === null && child.signalCode === null,
  };
}

/** SIGTERM and how long until the process is gone. */
async function stop(s: Server, signal: NodeJS.Signals = 'SIGTERM'): Promise<number> {
  const t0 = Date.now();
  if (!s.alive()) return 0;
  const gone = new Promise((r) => s.child.once('exit', r));
  s.child.kill(signal);
  await Promise.race([gone, sleep(60_000)]);
  if (s.alive()) s.child.kill('SIGKILL');
  return Date.now() - t0;
}

const fd = (fields: Record<string, string | Buffer | Buffer[]>) => {
  const f = new FormData();
  for (const [k, v] of Object.entries(fields)) {
    for (const item of Array.isArray(v) ? v : [v]) {
      if (typeof item === 'string') f.append(k, item);
      else f.append(k, new Blob([new Uint8Array(item)]), 'upload.bin');
    }
  }
  return f;
};
const json = (o: unknown) => ({ body: JSON.stringify(o), headers: { 'content-type': 'application/json' } });

/** Raw bytes; resolves with the status line, or 'closed' / 'hang'. */
function raw(port: number, bytes: (string | Buffer)[], abortAfterMs?: number): Promise<string> {
  return new Promise((resolve) => {
    const sock = connect(port, '127.0.0.1');
    let text = '';
    const timer = setTimeout(() => {
      sock.destroy();
      resolve(text ? text.split('\r\n')[0]! : 'hang');
    }, HANG_MS);
    sock.on('data', (d) => (text += d));
    sock.on('error', () => undefined);
    sock.on('close', () => {
      clearTimeout(timer);
      resolve(text ? text.split('\r\n')[0]! : 'closed');
    });
    for (const b of bytes) sock.write(b);
    if (abortAfterMs !== undefined) setTimeout(() => sock.destroy(), abortAfterMs);
  });
}

type Outcome = 'clean' | 'crash' | 'hang' | 'unclean';
interface Case {
  cls: string;
  name: string;
  run: (s: Server) => Promise<Response | string>;
  expect: (status: number) => boolean;
}

async function badInputs(): Promise<Record<string, Record<Outcome | 'tried', number>>> {
  const photo = readFileSync(PHOTO);
  const png = (w: number, h: number) =>
    sharp({ create: { width: w, height: h, channels: 3, background: '#888' } })
      .png()
      .toBuffer();
  const gif = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#888' } })
    .gif()
    .toBuffer();
  const bomb = Buffer.concat([
    Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex'),
    Buffer.from([0, 1, 0x86, 0xa0, 0, 1, 0x86, 0xa0, 8, 2, 0, 0, 0]),
    Buffer.alloc(4),
  ]);
  const [tall, wide] = await Promise.all([png(1, 100_000), png(100_000, 1)]);
  const post = (s: Server, p: string, init: RequestInit) =>
    fetch(`${s.url}${p}`, { method: 'POST', signal: AbortSignal.timeout(HANG_MS), ...init });
  const err4 = (st: number) => st >= 400 && st < 500;
  const ok = (st: number) => st === 200;
  const mp = (b: string) =>
    `POST /api/commands/detect-faces HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=${b}\r\nContent-Length: 200000\r\n\r\n--${b}\r\nContent-Disposition: form-data; name="image"; filename="a.jpg"\r\n\r\n`;
  const basic = (user: string, pass: string) => `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;
  const cases: Case[] = [
    {
      cls: 'command/option',
      name: 'unknown command',
      run: (s) => post(s, '/api/commands/paint', json({})),
      expect: err4,
    },
    {
      cls: 'command/option',
      name: 'unknown option',
      run: (s) => post(s, '/api/commands/explain', json({ topic: 'x', colour: 1 })),
      expect: err4,
    },
    {
      cls: 'command/option',
      name: 'missing option',
      run: (s) => post(s, '/api/commands/colorize', json({})),
      expect: err4,
    },
    {
      cls: 'command/option',
      name: 'number not a number',
      run: (s) => post(s, '/api/commands/detect-faces', { body: fd({ image: photo, 'min-score': 'abc' }) }),
      expect: err4,
    },
    {
      cls: 'command/option',
      name: 'number out of range',
      run: (s) => post(s, '/api/commands/detect-faces', { body: fd({ image: photo, 'min-score': '5' }) }),
      expect: err4,
    },
    {
      cls: 'command/option',
      name: 'text too long',
      run: (s) => post(s, '/api/commands/translate', json({ text: 'a'.repeat(5000), to: 'en' })),
      expect: err4,
    },
    {
      cls: 'command/option',
      name: 'tokens too many',
      run: (s) => post(s, '/api/commands/generate-text', json({ prompt: 'hola', 'max-new-tokens': 100000 })),
      expect: err4,
    },
    {
      cls: 'command/option',
      name: 'object as value',
      run: (s) => post(s, '/api/commands/explain', json({ topic: { $gt: 1 } })),
      expect: err4,
    },
    {
      cls: 'command/option',
      name: 'array body',
      run: (s) => post(s, '/api/commands/explain', json([1, 2])),
      expect: (st) => st < 500,
    },
    {
      cls: 'command/option',
      name: 'model override from web',
      run: (s) => post(s, '/api/commands/explain', json({ topic: 'x', model: '/etc/passwd' })),
      expect: err4,
    },
    {
      cls: 'command/option',
      name: 'NUL bytes in topic',
      run: (s) => post(s, '/api/commands/explain', json({ topic: 'neu\u0000rona' })),
      expect: (st) => st === 200 || err4(st),
    },
    {
      cls: 'command/option',
      name: 'XSS in topic (JSON answer)',
      run: (s) => post(s, '/api/commands/explain', json({ topic: '<script>alert(1)</script>' })),
      expect: ok,
    },
    {
      cls: 'image',
      name: 'not an image',
      run: (s) => post(s, '/api/commands/detect-faces', { body: fd({ image: Buffer.from('hello') }) }),
      expect: err4,
    },
    {
      cls: 'image',
      name: 'empty file',
      run: (s) => post(s, '/api/commands/detect-faces', { body: fd({ image: Buffer.alloc(0) }) }),
      expect: err4,
    },
    {
      cls: 'image',
      name: 'truncated JPEG',
      run: (s) => post(s, '/api/commands/detect-faces', { body: fd({ image: photo.subarray(0, photo.length / 2) }) }),
      expect: err4,
    },
    {
      cls: 'image',
      name: 'PNG bomb header',
      run: (s) => post(s, '/api/commands/detect-faces', { body: fd({ image: bomb }) }),
      expect: err4,
    },
    {
      cls: 'image',
      name: 'GIF',
      run: (s) => post(s, '/api/commands/detect-faces', { body: fd({ image: gif }) }),
      expect: err4,
    },
    {
      cls: 'image',
      name: '1×100000 PNG detect',
      run: (s) => post(s, '/api/commands/detect-faces', { body: fd({ image: tall }) }),
      expect: ok,
    },
    {
      cls: 'image',
      name: '100000×1 PNG detect',
      run: (s) => post(s, '/api/commands/detect-faces', { body: fd({ image: wide }) }),
      expect: ok,
    },
    {
      cls: 'image',
      name: '1×100000 PNG explain',
      run: (s) => post(s, '/api/commands/explain', { body: fd({ topic: 'convolución', image: tall }) }),
      expect: ok,
    },
    {
      cls: 'image',
      name: '100000×1 PNG colorize',
      run: (s) => post(s, '/api/commands/colorize', { body: fd({ image: wide }) }),
      expect: ok,
    },
    {
      cls: 'image',
      name: 'explain: bad image, no topic match',
      run: (s) => post(s, '/api/commands/explain', { body: fd({ topic: 'zzqx cocina', image: Buffer.from('nope') }) }),
      expect: err4,
    },
    {
      cls: 'image',
      name: 'two images in one field',
      run: (s) => post(s, '/api/commands/explain', { body: fd({ topic: 'cnn', image: [tall, wide] }) }),
      expect: err4,
    },
    {
      cls: 'body',
      name: 'multipart without boundary',
      run: (s) =>
        post(s, '/api/commands/detect-faces', { body: 'x', headers: { 'content-type': 'multipart/form-data' } }),
      expect: err4,
    },
    {
      cls: 'body',
      name: 'multipart without closing boundary',
      run: (s) =>
        post(s, '/api/commands/detect-faces', {
          body: '--b\r\nContent-Disposition: form-data; name="image"; filename="a"\r\n\r\nabc',
          headers: { 'content-type': 'multipart/form-data; boundary=b' },
        }),
      expect: err4,
    },
    {
      cls: 'body',
      name: 'broken JSON',
      run: (s) =>
        post(s, '/api/commands/explain', { body: '{"topic":', headers: { 'content-type': 'application/json' } }),
      expect: err4,
    },
    {
      cls: 'body',
      name: 'JSON over 256 KB',
      run: (s) => post(s, '/api/commands/explain', json({ topic: 'x'.repeat(300_000) })),
      expect: err4,
    },
    {
      cls: 'body',
      name: 'text/plain body',
      run: (s) => post(s, '/api/commands/explain', { body: 'topic=x', headers: { 'content-type': 'text/plain' } }),
      expect: err4,
    },
    {
      cls: 'body',
      name: '50 MB declared upload',
      run: (s) =>
        raw(s.port, [
          `POST /api/commands/detect-faces HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=b\r\nContent-Length: 52428800\r\n\r\n`,
        ]),
      expect: (st) => st === 413,
    },
    {
      cls: 'body',
      name: 'multipart: 40 fields',
      run: (s) =>
        post(s, '/api/commands/explain', {
          body: fd(Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`f${i}`, 'x']))),
        }),
      expect: err4,
    },
    {
      cls: 'body',
      name: 'stalled partial upload',
      run: (s) => raw(s.port, [mp('s1'), 'abc']),
      expect: (st) => st === 408,
    },
    {
      cls: 'body',
      name: 'client aborts mid-upload',
      run: (s) => raw(s.port, [mp('s2'), Buffer.alloc(5000)], 200),
      expect: (st) => st === 0,
    },
    { cls: 'url', name: 'bad percent-encoding', run: (s) => post(s, '/api/commands/%E0%A4%A', json({})), expect: err4 },
    {
      cls: 'url',
      name: 'over-long command name',
      run: (s) => post(s, `/api/commands/${'x'.repeat(300)}`, json({})),
      expect: err4,
    },
    {
      cls: 'url',
      name: 'path traversal page',
      run: (s) => fetch(`${s.url}/c/..%2F..%2Fetc%2Fpasswd`, { signal: AbortSignal.timeout(HANG_MS) }),
      expect: err4,
    },
    {
      cls: 'url',
      name: 'GET on the API',
      run: (s) => fetch(`${s.url}/api/commands/explain`, { signal: AbortSignal.timeout(HANG_MS) }),
      expect: err4,
    },
    {
      cls: 'admin',
      name: 'urlencoded post with token (CSRF shape)',
      run: (s) =>
        post(s, '/api/admin/disable', {
          body: 'command=detect-faces&server=S9',
          headers: { authorization: basic('x', TOKEN), 'content-type': 'application/x-www-form-urlencoded' },
        }),
      expect: (st) => st === 403,
    },
    {
      cls: 'admin',
      name: 'cross-origin JSON with token',
      run: (s) =>
        post(s, '/api/admin/disable', {
          body: '{"command":"explain"}',
          headers: {
            authorization: `Bearer ${TOKEN}`,
            'content-type': 'application/json',
            origin: 'http://localhost:1',
          },
        }),
      expect: (st) => st === 403,
    },
    {
      cls: 'admin',
      name: 'form post without form token',
      run: (s) =>
        post(s, '/admin/disable', {
          body: 'command=explain',
          headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/x-www-form-urlencoded' },
        }),
      expect: (st) => st === 403,
    },
    {
      cls: 'admin',
      name: 'no credentials',
      run: (s) => fetch(`${s.url}/api/admin/status`, { signal: AbortSignal.timeout(HANG_MS) }),
      expect: (st) => st === 401,
    },
    {
      cls: 'admin',
      name: 'Basic with empty user and the token (documented)',
      run: (s) =>
        fetch(`${s.url}/api/admin/status`, {
          headers: { authorization: basic('', TOKEN) },
          signal: AbortSignal.timeout(HANG_MS),
        }),
      expect: ok,
    },
    {
      cls: 'admin',
      name: '15 wrong tokens then the right one (throttled)',
      run: async (s) => {
        for (let i = 0; i < 15; i++)
          await fetch(`${s.url}/api/admin/status`, {
            headers: { authorization: basic('m', `wrong${i}`), 'x-forwarded-for': '198.51.100.9' },
          });
        return fetch(`${s.url}/api/admin/status`, {
          headers: { authorization: `Bearer ${TOKEN}`, 'x-forwarded-for': '198.51.100.9' },
        });
      },
      expect: (st) => st === 429,
    },
  ];
  const s = await start({
    SINAPSIS_DATA_DIR: tmp(),
    SINAPSIS_ADMIN_TOKEN: TOKEN,
    SINAPSIS_TEXT_MODEL: path.join(MODELS, 'stories260K'),
    SINAPSIS_COLORIZE_MODEL: COLORIZER,
    SINAPSIS_WEB_BODY_TIMEOUT_S: '5',
    SINAPSIS_TRUST_PROXY: 'true',
  });
  const table: Record<string, Record<Outcome | 'tried', number>> = {};
  const unclean: string[] = [];
  let n = 0;
  for (const c of cases) {
    const row = (table[c.cls] ??= { tried: 0, clean: 0, crash: 0, hang: 0, unclean: 0 });
    row.tried++;
    let outcome: Outcome;
    let detail = '';
    try {
      // Each case is its own client, so per-user limits do not mix cases up.
      const r = await c.run(s);
      if (typeof r === 'string') {
        const status = r === 'closed' ? 0 : r === 'hang' ? -1 : Number(r.split(' ')[1]);
        outcome = status === -1 ? 'hang' : c.expect(status) ? 'clean' : 'unclean';
        detail = r;
      } else {
        const body = await r.text();
        let shaped = r.status === 200;
        if (!shaped) {
          try {
            const e = JSON.parse(body).error;
            shaped = typeof e?.code === 'string' && typeof e?.message === 'string';
          } catch {
            shaped = false;
          }
        }
        outcome =
          c.expect(r.status) && shaped && r.status < 500 ? 'clean' : c.expect(r.status) && shaped ? 'clean' : 'unclean';
        detail = `${r.status} ${body.slice(0, 120)}`;
      }
    } catch (err) {
      outcome = String(err).includes('TimeoutError') || String(err).includes('aborted') ? 'hang' : 'unclean';
      detail = String(err);
    }
    const health = await fetch(`${s.url}/healthz`, { signal: AbortSignal.timeout(5_000) }).catch(() => undefined);
    if (!s.alive() || !health) outcome = 'crash';
    row[outcome]++;
    if (outcome !== 'clean') unclean.push(`${c.cls} / ${c.name}: ${outcome} (${detail})`);
    n++;
  }
  await sleep(300);
  const abortLines = s
    .log()
    .split('\n')
    .filter((l) => l.includes('client aborted the request')).length;
  const stackLines = s
    .log()
    .split('\n')
    .filter((l) => /"stack"|\n\s+at /.test(l)).length;
  console.log(`\n## Bad inputs (${n} cases, one server)`);
  for (const [cls, r] of Object.entries(table))
    console.log(
      `${cls.padEnd(16)} tried ${r.tried}  clean ${r.clean}  crash ${r.crash}  hang ${r.hang}  unclean ${r.unclean}`,
    );
  for (const u of unclean) console.log(`  not clean: ${u}`);
  console.log(
    `log lines for the aborted upload: ${abortLines}; log lines with a stack: ${stackLines}; server alive: ${s.alive()}`,
  );
  const t = await stop(s);
  console.log(`SIGTERM → exit in ${t} ms`);
  return table;
}

/** 60 clients each push half of a 9.9 MB upload, then stall: memory and what each is told. */
async function stalledUploads() {
  const s = await start({ SINAPSIS_DATA_DIR: tmp() });
  const rss = () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${s.child.pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;
  const before = rss();
  const size = Math.round(9.9 * 1024 * 1024);
  const half = Buffer.alloc(Math.round(size / 2), 7);
  const t0 = Date.now();
  let peak = before;
  const sampler = setInterval(() => (peak = Math.max(peak, rss())), 100);
  const answers = await Promise.all(
    Array.from({ length: 60 }, (_, i) =>
      raw(s.port, [
        `POST /api/commands/detect-faces HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=u${i}\r\nContent-Length: ${size + 200}\r\n\r\n--u${i}\r\nContent-Disposition: form-data; name="image"; filename="a.jpg"\r\n\r\n`,
        half,
      ]),
    ),
  );
  clearInterval(sampler);
  const counts: Record<string, number> = {};
  for (const a of answers) counts[a] = (counts[a] ?? 0) + 1;
  console.log(
    '\n## 60 stalled 9.9 MB uploads (half sent, then nothing), default settings (body timeout 30 s, 8 uploads at once)',
  );
  console.log(
    `answers: ${JSON.stringify(counts)}; all settled after ${Date.now() - t0} ms; RSS ${before.toFixed(0)} MB before, peak ${peak.toFixed(0)} MB; alive ${s.alive()}`,
  );
  await stop(s);
}

async function load() {
  const photo = readFileSync(PHOTO);
  const s = await start({
    SINAPSIS_DATA_DIR: tmp(),
    SINAPSIS_TEXT_MODEL: path.join(MODELS, 'stories260K'),
    SINAPSIS_TRUST_PROXY: 'true',
  });
  const t0 = Date.now();
  const kinds = [
    () => ({ p: '/api/commands/detect-faces', init: { body: fd({ image: photo }) } }),
    () => ({ p: '/api/commands/explain', init: json({ topic: 'qué es una convolución' }) }),
    () => ({ p: '/api/commands/generate-text', init: json({ prompt: 'Once upon a time', 'max-new-tokens': 48 }) }),
  ];
  const statuses: Record<string, number> = {};
  let hang = 0;
  await Promise.all(
    Array.from({ length: 100 }, async (_, i) => {
      const { p, init } = kinds[i % 3]!();
      try {
        const r = await fetch(`${s.url}${p}`, {
          method: 'POST',
          ...init,
          headers: {
            ...(init as { headers?: Record<string, string> }).headers,
            'x-forwarded-for': `10.0.0.${(i % 20) + 1}`,
          },
          signal: AbortSignal.timeout(120_000),
        });
        const body = await r.json();
        const key = r.status === 200 ? '200' : `${r.status} ${body.error?.code}`;
        statuses[key] = (statuses[key] ?? 0) + 1;
      } catch {
        hang++;
      }
    }),
  );
  console.log(
    `\n## Load: 100 concurrent requests from 20 clients (detect-faces, explain, generate-text), ${os.cpus().length} cores`,
  );
  console.log(
    `answers: ${JSON.stringify(statuses)}; no answer: ${hang}; wall ${Date.now() - t0} ms; server alive: ${s.alive()}`,
  );
  await stop(s);
}

async function killNine() {
  const dir = tmp();
  const env = {
    SINAPSIS_DATA_DIR: dir,
    SINAPSIS_TEXT_MODEL: path.join(MODELS, 'stories260K'),
    SINAPSIS_TRUST_PROXY: 'true',
    SINAPSIS_ADMIN_TOKEN: TOKEN,
    SINAPSIS_CONCURRENCY: '1',
  };
  let s = await start(env);
  const admin = await fetch(`${s.url}/api/admin/limits`, {
    method: 'POST',
    ...json({ command: 'generate-text', quota: 3 }),
    headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
  });
  if (admin.status !== 200) throw new Error(`limits: ${admin.status} ${await admin.text()}`);
  const gen = (client: number, tokens: number) =>
    fetch(`${s.url}/api/commands/generate-text`, {
      method: 'POST',
      body: JSON.stringify({ prompt: 'Once upon a time', 'max-new-tokens': tokens }),
      headers: { 'content-type': 'application/json', 'x-forwarded-for': `10.1.0.${client}` },
      signal: AbortSignal.timeout(60_000),
    });
  const answered: number[] = [];
  // Clients 1-10 use the playground's stream (the page re-attaches by job id after a restart);
  // 11-20 the plain API (their connection dies with the process: refunded).
  const streamIds = new Map<number, string>();
  const streamGen = async (client: number, tokens: number) => {
    const r = await fetch(`${s.url}/api/commands/generate-text/stream`, {
      method: 'POST',
      body: JSON.stringify({ prompt: 'Once upon a time', 'max-new-tokens': tokens }),
      headers: { 'content-type': 'application/json', 'x-forwarded-for': `10.1.0.${client}` },
      signal: AbortSignal.timeout(60_000),
    });
    // Read as it comes: the job id arrives first, before the kill cuts the stream.
    let text = '';
    try {
      for await (const chunk of r.body!.pipeThrough(new TextDecoderStream())) {
        text += chunk;
        const id = /"id":"([^"]+)"/.exec(text)?.[1];
        if (id) streamIds.set(client, id);
      }
    } catch {
      return 'reset';
    }
    return text.includes('event: result') ? 200 : 'reset';
  };
  const inFlight = Array.from({ length: 20 }, (_, i) =>
    (i < 10 ? streamGen(i + 1, 256) : gen(i + 1, 256)).then(
      async (r) => {
        const status = typeof r === 'number' || typeof r === 'string' ? r : r.status;
        if (status === 200) answered.push(i + 1);
        return status;
      },
      () => 'reset',
    ),
  );
  // Kill as soon as (nearly) all 20 are accepted: queued or running.
  let inQueue = 0;
  for (let k = 0; k < 400 && inQueue < 18; k++) {
    const q = await fetch(`${s.url}/healthz`)
      .then((r) => r.json() as Promise<{ queue: { waiting: number; running: number } }>)
      .catch(() => undefined);
    inQueue = q ? q.queue.waiting + q.queue.running : 0;
  }
  s.child.kill('SIGKILL');
  console.log(`(killed with ${inQueue} jobs waiting or running)`);
  const before = await Promise.all(inFlight);
  s = await start(env);
  // The pages re-attach by job id: a re-run answers once; a job not re-run says so (404 job_gone).
  let reattached = 0;
  let gone = 0;
  const rerunAnswered: number[] = [];
  for (const [client, id] of streamIds) {
    if (answered.includes(client)) continue;
    const r = await fetch(`${s.url}/api/jobs/${id}/events`, { signal: AbortSignal.timeout(60_000) });
    const text = await r.text();
    if (r.status === 404) gone++;
    else if ((text.match(/event: result/g) ?? []).length === 1) {
      reattached++;
      rerunAnswered.push(client);
    }
  }
  const db = new Database(path.join(dir, 'sinapsis.db'), { readonly: true });
  const outcomes = db
    .prepare("SELECT outcome, count(*) AS n FROM jobs WHERE command = 'generate-text' GROUP BY outcome")
    .all() as { outcome: string; n: number }[];
  const pending = db.prepare('SELECT count(*) FROM accepted_jobs').pluck().get() as number;
  const usage = db.prepare("SELECT user_id, count FROM usage WHERE command = 'generate-text'").all() as {
    user_id: string;
    count: number;
  }[];
  db.close();
  const logged = outcomes.reduce((a, o) => a + o.n, 0);
  // Every client may now run exactly 3 minus what it really got.
  let overcharged = 0;
  let undercharged = 0;
  for (let c = 1; c <= 20; c++) {
    const allowed = 3 - answered.filter((x) => x === c).length - rerunAnswered.filter((x) => x === c).length;
    let got = 0;
    for (let k = 0; k < 4; k++) if ((await gen(c, 4)).status === 200) got++;
    if (got < allowed) overcharged++;
    if (got > allowed) undercharged++;
  }
  console.log(
    '\n## kill -9 with 20 jobs in flight (10 playground streams, 10 plain API; generate-text, 256 tokens, concurrency 1, quota 3/day), then restart',
  );
  console.log(
    `before the kill: answered ${answered.length}, connections cut ${before.filter((b) => b === 'reset').length}`,
  );
  console.log(
    `stream clients re-attached by job id: ${reattached} got their re-run result (exactly one each), ${gone} told the job is gone; plain API calls refunded: ${outcomes.find((o) => o.outcome === 'restarted')?.n ?? 0} logged 'restarted'`,
  );
  console.log(
    `after restart: jobs log ${JSON.stringify(Object.fromEntries(outcomes.map((o) => [o.outcome, o.n])))}; accepted rows left ${pending}; jobs lost ${20 - logged}`,
  );
  console.log(
    `usage rows after restart: ${usage.length} (sum ${usage.reduce((a, u) => a + u.count, 0)} = the answered jobs, re-runs included); users overcharged ${overcharged}, undercharged ${undercharged} (each tried 4 more)`,
  );
  await stop(s);
}

/** A model that never arrives: a FIFO in place of the file, or a download that stalls. */
async function hungModel(kind: 'fifo' | 'stall') {
  const models = tmp();
  for (const d of readdirSync(MODELS)) if (d !== 'yunet') symlinkSync(path.join(MODELS, d), path.join(models, d));
  let stallServer: ReturnType<typeof createServer> | undefined;
  const env: Record<string, string> = {
    SINAPSIS_DATA_DIR: tmp(),
    SINAPSIS_MODELS_DIR: models,
    SINAPSIS_CONCURRENCY: '1',
    SINAPSIS_JOB_TIMEOUT_S: '5',
    SINAPSIS_COLORIZE_MODEL: COLORIZER,
  };
  const fifo = path.join(models, 'yunet/yunet_n_640_640.onnx');
  if (kind === 'fifo') {
    mkdirSync(path.join(models, 'yunet'));
    spawnSync('mkfifo', [fifo]);
  } else {
    // Headers and a few bytes, then nothing: the upstream never closes.
    stallServer = createServer((_req, res) => {
      res.writeHead(200, { 'content-length': String(1 << 20) });
      res.write(Buffer.alloc(1024));
    });
    await new Promise<void>((r) => stallServer!.listen(0, '127.0.0.1', r));
    env.SINAPSIS_AUTO_DOWNLOAD = 'true';
    env.SINAPSIS_MODEL_MIRROR = `http://127.0.0.1:${(stallServer.address() as { port: number }).port}`;
  }
  const s = await start(env);
  const photo = readFileSync(PHOTO);
  const grey = await sharp(photo).greyscale().jpeg().toBuffer();
  const t0 = Date.now();
  const timed = async (p: Promise<Response>) => {
    try {
      const r = await p;
      return `${r.status} ${(await r.json()).error?.code ?? 'ok'} after ${Date.now() - t0} ms`;
    } catch {
      return `no answer after ${Date.now() - t0} ms`;
    }
  };
  const detect = timed(
    fetch(`${s.url}/api/commands/detect-faces`, {
      method: 'POST',
      body: fd({ image: photo }),
      signal: AbortSignal.timeout(60_000),
    }),
  );
  await sleep(200);
  const other = timed(
    fetch(`${s.url}/api/commands/colorize`, {
      method: 'POST',
      body: fd({ image: grey }),
      signal: AbortSignal.timeout(60_000),
    }),
  );
  const [d, o] = await Promise.all([detect, other]);
  const health = await fetch(`${s.url}/healthz`).then(async (r) => `${r.status} ${JSON.stringify(await r.json())}`);
  const inFlight = fetch(`${s.url}/api/commands/detect-faces`, { method: 'POST', body: fd({ image: photo }) }).then(
    async (r) => `${r.status} ${(await r.json()).error?.code}`,
    () => 'cut',
  );
  await sleep(300);
  const exitMs = await stop(s);
  console.log(
    `\n## ${kind === 'fifo' ? 'A FIFO in place of the YuNet file' : 'A stalled model download (headers + 1 KB, then nothing)'} (job timeout 5 s, concurrency 1)`,
  );
  console.log(`/detect-faces: ${d}; unrelated /colorize: ${o}`);
  console.log(`/healthz: ${health}`);
  console.log(`SIGTERM with a job in flight: the user got ${await inFlight}; process gone in ${exitMs} ms`);
  stallServer?.closeAllConnections();
  stallServer?.close();
  if (kind === 'fifo') {
    try {
      closeSync(openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK));
    } catch {
      // No reader left.
    }
  }
}

async function fullDisk() {
  const dir = tmp();
  if (spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', dir]).status !== 0) {
    console.log('\n## Full disk: skipped (mounting a tmpfs needs root)');
    return;
  }
  try {
    const s = await start({ SINAPSIS_DATA_DIR: dir, SINAPSIS_TEXT_MODEL: path.join(MODELS, 'stories260K') });
    // Fill what is left of the tmpfs.
    let i = 0;
    try {
      for (;;) writeFileSync(path.join(dir, `fill-${i++}`), Buffer.alloc(64 * 1024));
    } catch {
      // ENOSPC: full.
    }
    try {
      for (;;) writeFileSync(path.join(dir, `fill-${i++}`), Buffer.alloc(512));
    } catch {
      // Now really full.
    }
    const photo = readFileSync(PHOTO);
    const statuses: string[] = [];
    for (let k = 0; k < 10; k++) {
      const r = await fetch(`${s.url}/api/commands/${k % 2 ? 'detect-faces' : 'explain'}`, {
        method: 'POST',
        ...(k % 2 ? { body: fd({ image: photo }) } : json({ topic: 'neurona' })),
        signal: AbortSignal.timeout(HANG_MS),
      }).catch(() => undefined);
      statuses.push(r ? String(r.status) : 'none');
    }
    const health = await fetch(`${s.url}/healthz`).then(async (r) => `${r.status} ${JSON.stringify(await r.json())}`);
    console.log('\n## Full disk (4 MB tmpfs as the data dir, filled after start)');
    console.log(
      `10 requests (explain, detect-faces): ${statuses.join(' ')}; /healthz: ${health}; server alive: ${s.alive()}`,
    );
    await stop(s);
  } finally {
    spawnSync('umount', [dir]);
  }
}

export async function run(args: string[]) {
  if (!existsSync(PHOTO)) throw new Error(`needs ${PHOTO} (set SINAPSIS_MODELS_DIR to ../shared/models)`);
  const only = args[0];
  const phases: Record<string, () => Promise<unknown>> = {
    bad: badInputs,
    uploads: stalledUploads,
    load,
    kill: killNine,
    fifo: () => hungModel('fifo'),
    stall: () => hungModel('stall'),
    disk: fullDisk,
  };
  for (const [name, phase] of Object.entries(phases)) if (!only || only === name) await phase();
}
