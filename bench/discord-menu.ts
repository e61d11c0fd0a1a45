import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import { startDiscord } from '../src/adapters/discord/bot.js';
import { tempDir, testApp } from '../tests/helpers/app.js';
import { APP_ID, GUILD_ID } from '../tests/fakes/discord/server.js';
import { quantile, round } from './lib/stats.js';
import { startFakeDiscordProcess } from './lib/fake-discord.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const FIXTURES = path.join(ROOT, 'tests/fixtures/models');
interface Call {
  at: number;
  method: string;
  path: string;
  json?: any;
}

/** 500 characters of course Spanish, in sentences. */
function message(): string {
  const sentences = [
    'Una red convolucional aplica pequeños filtros a toda la imagen.',
    'Cada filtro aprende a reconocer un rasgo, como un borde o una textura.',
    'Las capas profundas combinan esos rasgos en formas más complejas.',
    'El agrupamiento reduce el tamaño de los mapas de rasgos.',
    'Al final, una capa densa decide qué hay en la foto.',
    'El entrenamiento ajusta los pesos con descenso por gradiente.',
    'Con pocos datos conviene aumentar las imágenes girándolas o recortándolas.',
    'Así la red generaliza mejor a fotos que nunca vio.',
  ];
  let text = '';
  for (let i = 0; text.length < 500; i++) text += `${sentences[i % sentences.length]} `;
  return text
    .slice(0, 500)
    .replace(/\s+\S*$/, '.')
    .padEnd(500, '.');
}

export async function run(args: string[]) {
  const burst = Number(args[args.indexOf('--burst') + 1]) || 20;
  const rounds = Number(args[args.indexOf('--rounds') + 1]) || 5;
  const text = message();

  const { port, ctl, stop: stopFake } = await startFakeDiscordProcess();
  const app = testApp({
    SINAPSIS_MODELS_DIR: tempDir(),
    SINAPSIS_TRANSLATION_MODELS: `es-en=${FIXTURES}/marian-tiny-es-en,en-es=${FIXTURES}/marian-tiny-en-es`,
    SINAPSIS_QUEUE_MAX: String(burst * 4),
    DISCORD_TOKEN: 'fake-token',
    DISCORD_APPLICATION_ID: APP_ID,
    DISCORD_GUILD_ID: GUILD_ID,
    DISCORD_API_URL: `http://127.0.0.1:${port}/api`,
    DISCORD_CDN_URLS: `http://127.0.0.1:${port}/cdn/`,
  });
  const bot = await startDiscord({ ...app, logger: pino({ level: 'silent' }) });

  let user = 720000000000000000n;
  const send = async (via: 'menu' | 'slash'): Promise<string> => {
    const opts = { userId: String(++user), locale: 'en-US' };
    const r =
      via === 'menu'
        ? await ctl('message-command', { name: 'Translate', content: text, opts })
        : await ctl('command', { name: 'translate', options: [{ name: 'text', type: 3, value: text }], opts });
    return r.id;
  };
  const calls = async (): Promise<{ calls: Call[]; sentAt: Record<string, number> }> => ctl('calls');
  const isFinal = (id: string) => (c: Call) =>
    c.method === 'PATCH' && c.path.includes(`/tok-${id}/`) && (c.json?.components ?? []).length > 0;
  const until = async (ids: string[]) => {
    for (let i = 0; i < 2400; i++) {
      const s = await calls();
      if (ids.every((id) => s.calls.some(isFinal(id)))) return s;
      await new Promise((r) => setTimeout(r, 25));
    }
    throw new Error('timed out waiting for the bot');
  };
  const timings = (s: Awaited<ReturnType<typeof calls>>, id: string) => ({
    defer:
      s.calls.find((c) => c.method === 'POST' && c.path.startsWith(`/api/v10/interactions/${id}/`))!.at - s.sentAt[id]!,
    final: s.calls.find(isFinal(id))!.at - s.sentAt[id]!,
    text: s.calls.find(isFinal(id))!.json.content as string,
  });

  // Warm-up: loads both the detector and the es→en model once.
  await until([await send('menu'), await send('slash')]);

  const results = {
    menu: { defer: [] as number[], final: [] as number[] },
    slash: { defer: [] as number[], final: [] as number[] },
  };
  // Per round, menu p99 over slash p99: back-to-back bursts meet the same machine load, so these ratios are steadier than pooled figures.
  const perRound = { defer_p99: [] as number[], final_p99: [] as number[] };
  let same = 0;
  for (let r = 0; r < rounds; r++) {
    const round99 = { menu: { defer: 0, final: 0 }, slash: { defer: 0, final: 0 } };
    // Alternate which goes first, so neither always meets a warmer process.
    for (const via of (r % 2 ? ['slash', 'menu'] : ['menu', 'slash']) as ('menu' | 'slash')[]) {
      const ids = await Promise.all(Array.from({ length: burst }, () => send(via)));
      const s = await until(ids);
      const x = ids.map((id) => timings(s, id));
      for (const one of x) {
        results[via].defer.push(one.defer);
        results[via].final.push(one.final);
        if (/es → en · marian-tiny-es-en/.test(one.text)) same++;
      }
      round99[via] = {
        defer: quantile(
          x.map((v) => v.defer),
          0.99,
        ),
        final: quantile(
          x.map((v) => v.final),
          0.99,
        ),
      };
    }
    perRound.defer_p99.push(round99.menu.defer / round99.slash.defer);
    perRound.final_p99.push(round99.menu.final / round99.slash.final);
  }
  await bot.stop();
  await app.dispose();
  stopFake();

  const summary = (v: { defer: number[]; final: number[] }) => ({
    n: v.defer.length,
    defer_p50_ms: round(quantile(v.defer, 0.5)),
    defer_p99_ms: round(quantile(v.defer, 0.99)),
    final_p50_ms: round(quantile(v.final, 0.5)),
    final_p99_ms: round(quantile(v.final, 0.99)),
  });
  const menu = summary(results.menu);
  const slash = summary(results.slash);
  const report = {
    message_chars: text.length,
    burst,
    rounds,
    translate_menu: menu,
    translate_slash: slash,
    ratio_menu_over_slash: {
      pooled_defer_p99: round(menu.defer_p99_ms / slash.defer_p99_ms),
      pooled_final_p99: round(menu.final_p99_ms / slash.final_p99_ms),
      median_of_rounds_defer_p99: round(quantile(perRound.defer_p99, 0.5)),
      median_of_rounds_final_p99: round(quantile(perRound.final_p99, 0.5)),
      rounds_defer_p99: perRound.defer_p99.map((v) => round(v)),
      rounds_final_p99: perRound.final_p99.map((v) => round(v)),
    },
    translated_es_en: `${same}/${burst * rounds * 2}`,
  };
  console.log(JSON.stringify(report, null, 2));
  console.log(
    JSON.stringify({
      menu_defer_p99_ms: menu.defer_p99_ms,
      slash_defer_p99_ms: slash.defer_p99_ms,
      menu_final_p99_ms: menu.final_p99_ms,
      slash_final_p99_ms: slash.final_p99_ms,
    }),
  );
}
