// Slack adapter under load (HTTP mode): 50 signed /detect-faces commands sent at once
// from a separate process, each from a user who just shared a photo. Ack time = the
// HTTP response (Slack's 3 s limit); then every command must get its own result.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { SIGNING_SECRET } from '../tests/fakes/slack/server.js';
import { startSlackAgainstFake } from '../tests/helpers/slack.js';
import { readDlibBoxes } from './lib/faces-truth.js';
import { quantile, round } from './lib/stats.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export async function run(args: string[]) {
  const burst = Number(args[args.indexOf('--burst') + 1]) || 50;
  const modelsDir = path.resolve(process.env.SINAPSIS_MODELS_DIR ?? path.join(ROOT, '../shared/models'));
  const images = [
    ...readDlibBoxes(path.resolve(modelsDir, '../data/faces-dlib'), ['training.xml', 'testing.xml']).keys(),
  ];
  const s = await startSlackAgainstFake({
    http: true,
    // Jobs in worker threads, as `npm start` runs them (the test helper's default is this thread).
    env: { SINAPSIS_MODELS_DIR: modelsDir, SINAPSIS_QUEUE_MAX: String(burst * 2), SINAPSIS_WORKER_THREADS: 'true' },
  });
  const users = Array.from({ length: burst }, (_, k) => `U${String(k).padStart(7, '0')}`);
  users.forEach((u, k) => {
    s.fake.shareImage(u, 'photo.jpg', readFileSync(images[k % images.length]!));
  });
  const bodies = users.map((u) =>
    new URLSearchParams(s.fake.slashPayload('/detect-faces', '', u) as Record<string, string>).toString(),
  );

  const t0 = performance.now();
  // The client must not block this process: the app under test answers from here.
  const child = spawn(process.execPath, [path.join(ROOT, 'bench/slack-client.mjs')], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  child.stdin.end(JSON.stringify({ port: s.port, secret: SIGNING_SECRET, bodies }));
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  await new Promise((r) => child.on('exit', r));
  const acks: { status: number; ms: number }[] = JSON.parse(out);
  // Every command: one result update with blocks and one completed upload of its own PNG.
  const deadline = Date.now() + 120_000;
  while (
    s.fake.calls.filter((c) => c.method === 'files.completeUploadExternal').length < burst &&
    Date.now() < deadline
  )
    await new Promise((r) => setTimeout(r, 100));
  const wallMs = performance.now() - t0;
  // Distinct placeholder messages (ts) that received a final result: one per command.
  const results = new Set(
    s.fake.calls.filter((c) => c.method === 'chat.update' && Array.isArray(c.args.blocks)).map((c) => c.args.ts),
  ).size;
  const completed = s.fake.calls.filter((c) => c.method === 'files.completeUploadExternal').length;
  const positionUpdates = s.fake.calls.filter((c) => c.method === 'chat.update' && /⏳/.test(c.args.text ?? '')).length;
  await s.stop();
  const ms = acks.map((a) => a.ms);
  const report = {
    burst,
    ack: {
      ok: acks.filter((a) => a.status === 200).length,
      p50_ms: round(quantile(ms, 0.5)),
      p99_ms: round(quantile(ms, 0.99)),
      max_ms: round(Math.max(...ms)),
    },
    results: {
      result_messages: results,
      uploads: completed,
      queue_position_updates: positionUpdates,
      wall_ms: round(wallMs),
    },
  };
  console.log(JSON.stringify(report, null, 2));
  console.log(JSON.stringify({ ack_p99_ms: report.ack.p99_ms, in: burst, out: Math.min(results, completed) }));
}
