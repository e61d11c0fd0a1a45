import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import { startDiscord } from '../src/adapters/discord/bot.js';
import { testApp } from '../tests/helpers/app.js';
import { APP_ID, GUILD_ID } from '../tests/fakes/discord/server.js';
import { readDlibBoxes } from './lib/faces-truth.js';
import { quantile, round } from './lib/stats.js';
import { startFakeDiscordProcess } from './lib/fake-discord.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
interface Call {
  at: number;
  method: string;
  path: string;
  json?: any;
  files: { name: string; size: number }[];
}

export async function run(args: string[]) {
  const burst = Number(args[args.indexOf('--burst') + 1]) || 50;
  const modelsDir = path.resolve(process.env.SINAPSIS_MODELS_DIR ?? path.join(ROOT, '../shared/models'));
  const images = [
    ...readDlibBoxes(path.resolve(modelsDir, '../data/faces-dlib'), ['training.xml', 'testing.xml']).keys(),
  ];

  const { port, ctl, stop: stopFake } = await startFakeDiscordProcess();
  const app = testApp({
    SINAPSIS_MODELS_DIR: modelsDir,
    SINAPSIS_QUEUE_MAX: String(burst * 2),
    DISCORD_TOKEN: 'fake-token',
    DISCORD_APPLICATION_ID: APP_ID,
    DISCORD_GUILD_ID: GUILD_ID,
    DISCORD_API_URL: `http://127.0.0.1:${port}/api`,
    DISCORD_CDN_URLS: `http://127.0.0.1:${port}/cdn/`,
  });
  const bot = await startDiscord({ ...app, logger: pino({ level: 'silent' }) });

  const attachments = new Map<string, unknown>();
  for (const img of images)
    attachments.set(
      img,
      await ctl('attachment', { name: path.basename(img), base64: readFileSync(img).toString('base64') }),
    );
  const send = async (img: string, user: string): Promise<string> => {
    const att = attachments.get(img) as { id: string };
    return (
      await ctl('command', {
        name: 'detect-faces',
        options: [{ name: 'image', type: 11, value: att.id }],
        opts: { attachments: { [att.id]: att }, userId: user },
      })
    ).id;
  };
  const calls = async (): Promise<{ calls: Call[]; sentAt: Record<string, number> }> => ctl('calls');
  const isFinal = (id: string) => (c: Call) =>
    c.method === 'PATCH' && c.path.includes(`/tok-${id}/`) && c.files.length > 0;
  const until = async (ok: (s: Awaited<ReturnType<typeof calls>>) => boolean) => {
    for (let i = 0; i < 1200; i++) {
      const s = await calls();
      if (ok(s)) return s;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error('timed out waiting for the bot');
  };
  const deferMs = (s: Awaited<ReturnType<typeof calls>>, id: string) =>
    s.calls.find((c) => c.method === 'POST' && c.path.startsWith(`/api/v10/interactions/${id}/`))!.at - s.sentAt[id]!;

  // One at a time (also learns each image's face count and warms the model).
  const expected = new Map<string, number>();
  const single: number[] = [];
  for (let k = 0; k < images.length * 2; k++) {
    const img = images[k % images.length]!;
    const id = await send(img, '700000000000000001');
    const s = await until((x) => x.calls.some(isFinal(id)));
    single.push(deferMs(s, id));
    expected.set(img, Number(/(\d+) faces?/.exec(s.calls.find(isFinal(id))!.json.content)?.[1] ?? 0));
  }

  // A burst from `burst` users at once, sent back to back by the fake.
  const t0 = performance.now();
  const sent = await Promise.all(
    Array.from({ length: burst }, async (_, k) => ({
      img: images[k % images.length]!,
      id: await send(images[k % images.length]!, String(710000000000000000n + BigInt(k))),
    })),
  );
  const s = await until((x) => sent.every(({ id }) => x.calls.some(isFinal(id))));
  const wallMs = performance.now() - t0;
  const burstDefer = sent.map(({ id }) => deferMs(s, id));
  const finals = sent.map(({ id }) => s.calls.find(isFinal(id))!);
  const own = finals.filter(
    (f, k) => Number(/(\d+) faces?/.exec(f.json.content)?.[1] ?? -1) === expected.get(sent[k]!.img),
  ).length;
  const positionEdits = s.calls.filter((c) => c.method === 'PATCH' && /⏳/.test(c.json?.content ?? '')).length;
  await bot.stop();
  await app.dispose();
  stopFake();

  const report = {
    single: {
      n: single.length,
      defer_p50_ms: round(quantile(single, 0.5)),
      defer_p99_ms: round(quantile(single, 0.99)),
    },
    burst: {
      n: burst,
      defer_p50_ms: round(quantile(burstDefer, 0.5)),
      defer_p99_ms: round(quantile(burstDefer, 0.99)),
      defer_max_ms: round(Math.max(...burstDefer)),
      final_edits: finals.length,
      with_their_own_result: own,
      queue_position_edits: positionEdits,
      wall_ms: round(wallMs),
    },
  };
  console.log(JSON.stringify(report, null, 2));
  console.log(
    JSON.stringify({
      defer_p99_single_ms: report.single.defer_p99_ms,
      defer_p99_burst_ms: report.burst.defer_p99_ms,
      in: burst,
      out: own,
    }),
  );
}
