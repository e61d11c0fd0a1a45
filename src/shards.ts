// `npm run shards`: Discord past one gateway connection. discord.js' ShardingManager starts one
// `npm start` process per shard; each one's client takes its shard ids from the manager, serves only
// its servers' events, and queues into the shared Redis and PostgreSQL, so the workers (`npm run
// worker`) scale on their own. The web playground and Slack run in one separate `npm start`.
import path from 'node:path';
import { ShardingManager } from 'discord.js';
import pino from 'pino';
import { loadConfig } from './config/index.js';

const config = loadConfig();
const log = pino({ level: config.LOG_LEVEL });
const fail = (msg: string): never => {
  log.fatal(msg);
  process.exit(1);
};
if (!config.DISCORD_TOKEN) fail('npm run shards needs DISCORD_TOKEN');
// Shards are separate processes: the queue and the store must be shared ones.
if (!config.SINAPSIS_REDIS_URL || !config.SINAPSIS_DATABASE_URL)
  fail('npm run shards needs SINAPSIS_REDIS_URL and SINAPSIS_DATABASE_URL: every shard shares the queue and the store');

/** Discord's recommendation for this bot, from the API the bot talks to (DISCORD_API_URL). */
async function recommended(): Promise<number> {
  const res = await fetch(`${config.DISCORD_API_URL}/v10/gateway/bot`, {
    headers: { authorization: `Bot ${config.DISCORD_TOKEN}` },
    signal: AbortSignal.timeout(15_000),
  });
  if (!res.ok) throw new Error(`${config.DISCORD_API_URL} answered HTTP ${res.status} for /gateway/bot`);
  return ((await res.json()) as { shards: number }).shards;
}

const total =
  config.SINAPSIS_DISCORD_SHARDS === 'auto'
    ? await recommended().catch((err: Error) =>
        fail(`could not ask Discord how many shards to run (set SINAPSIS_DISCORD_SHARDS): ${err.message}`),
      )
    : config.SINAPSIS_DISCORD_SHARDS;

// What each shard process inherits: no web port of its own (0: any free one) and no Slack.
process.env.PORT = '0';
delete process.env.SLACK_BOT_TOKEN;
const manager = new ShardingManager(path.join(import.meta.dirname, 'main.ts'), {
  token: config.DISCORD_TOKEN,
  totalShards: total,
  mode: 'process',
  respawn: true,
  execArgv: ['--import', 'tsx'],
});
manager.on('shardCreate', (shard) => log.info({ shard: shard.id, of: total }, 'shard started'));
await manager.spawn({ timeout: 120_000 });
log.info({ shards: total }, 'every shard is connected');

for (const signal of ['SIGINT', 'SIGTERM'] as const)
  process.on(signal, () => {
    // Each shard stops as `npm start` does (its jobs stay in Redis for the next one).
    for (const shard of manager.shards.values()) shard.kill();
    setTimeout(() => process.exit(0), 1_000).unref();
  });
