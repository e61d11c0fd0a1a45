// `npm start`: the web playground always; Discord and Slack when their tokens are set.
import { loadConfig } from './config/index.js';
import { createApp } from './core/app.js';
import { startDiscord } from './adapters/discord/bot.js';
import { startSlack } from './adapters/slack/app.js';
import { buildWebServer } from './adapters/web/server.js';
import { assertRedisReachable } from './queue/redis.js';
import { killNow, onStopSignal } from './stop-signal.js';

const config = loadConfig();
// The queue on Redis must answer before anything is accepted: a clear error naming the setting otherwise.
if (config.SINAPSIS_REDIS_URL) {
  try {
    await assertRedisReachable(config.SINAPSIS_REDIS_URL);
  } catch (err) {
    console.error((err as Error).message);
    process.exit(1);
  }
}
const app = createApp(config);
const log = app.logger;
try {
  // PostgreSQL (SINAPSIS_DATABASE_URL) connects and migrates here; SQLite is ready already.
  await app.stores.ready();
} catch (err) {
  // One clear line naming the setting, not a stack trace: nothing can be served without the store.
  log.fatal((err as Error).message);
  await app.close().catch(() => undefined);
  process.exit(1);
}
// Jobs a killed process accepted and never answered: each adapter, as it starts, registers how to
// answer its own (service.onRecovered), and the service re-runs them or tells their users.
const interrupted = await app.service.recoverInterrupted();
if (interrupted.length)
  log.warn(
    { jobs: interrupted.length },
    'jobs a stopped or crashed process accepted are unanswered: answering those that still can be (re-run, or attached to the queue on Redis)',
  );

// One bad request must never take the bot down: log and keep serving.
process.on('unhandledRejection', (err) => log.error({ err }, 'unhandled rejection'));
process.on('uncaughtException', (err) => log.error({ err }, 'uncaught exception'));

// Per command, its model and what the first request will do: answer, download N MB, or fail (and why).
for (const a of app.service.availability()) {
  for (const m of a.models) {
    const line = {
      command: a.command,
      model: m.model,
      repo: m.repo ?? undefined,
      commit: m.commit ?? undefined,
      state: m.state,
      mb: m.bytes ? Math.round(m.bytes / 1e6) : undefined,
      locked_by: m.locked_by ?? undefined,
      reason: m.reason?.code,
    };
    if (m.warnings?.length)
      log.warn({ ...line, warnings: m.warnings }, 'model: the manifest hints disagree with the hub');
    else
      log.info(
        line,
        `model ${m.state === 'installed' ? 'installed' : m.state === 'download' ? 'will download on first use' : 'unavailable'}`,
      );
  }
}

// The worker threads load their code before the first request can reach them (seconds on a busy
// machine: not inside a request's timeout), then the models to warm, in the background.
await app.start().catch((err) => log.error({ err }, 'worker threads could not start; jobs will fail until they do'));
app
  .warm(config.SINAPSIS_WARM_MODELS)
  .catch((err) => log.warn({ err }, 'model warm-up failed; models will load on first use'));

const web = await buildWebServer(app);
await web.listen({ port: config.PORT, host: config.HOST });
const { port } = web.server.address() as { port: number };
log.info(`Sinapsis playground on http://${config.HOST === '0.0.0.0' ? 'localhost' : config.HOST}:${port}`);
const stops: (() => Promise<void>)[] = [];
if (config.DISCORD_TOKEN) {
  try {
    stops.push((await startDiscord(app)).stop);
  } catch (err) {
    // A wrong token must not take the playground down with it.
    log.error({ err }, 'Discord could not start; the playground keeps running');
  }
}
if (config.SLACK_BOT_TOKEN) {
  try {
    stops.push((await startSlack(app)).stop);
  } catch (err) {
    log.error({ err }, 'Slack could not start; the playground keeps running');
  }
}
// Jobs of a platform that did not start this time cannot be answered: refunded.
app.service.finishRecovery();
if (!config.DISCORD_TOKEN && !config.SLACK_BOT_TOKEN)
  log.info('No DISCORD_TOKEN or SLACK_BOT_TOKEN set: running the web playground only');

const graceMs = config.SINAPSIS_SHUTDOWN_TIMEOUT_S * 1000;
onStopSignal(log, graceMs + 2_000, async (signal) => {
  log.info({ signal, graceS: config.SINAPSIS_SHUTDOWN_TIMEOUT_S }, 'shutting down');
  const queue = app.service.queue;
  // A queue on Redis outlives this process: its jobs stay there, and the next process answers them
  // (Discord and Slack replies, web pages re-attaching by job id). In-process jobs die with the
  // process: end every one with "the bot is restarting" while the adapters can still deliver it.
  if (queue.detach) await queue.detach(graceMs);
  else await queue.close(graceMs);
  await new Promise((r) => setTimeout(r, 500));
  const hung = queue.detach ? { running: 0, stuck: 0 } : await queue.stats();
  for (const stop of stops) await stop().catch(() => undefined);
  await web.close();
  if (hung.running + hung.stuck > 0) {
    log.warn({ running: hung.running, stuck: hung.stuck }, 'work that never stopped is abandoned');
    killNow();
  }
  await app.close();
  process.exit(0);
});
