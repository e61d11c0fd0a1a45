import { createServer } from 'node:net';
import pino from 'pino';
import { startSlack, type SlackBot } from '../../src/adapters/slack/app.js';
import { APP_TOKEN, BOT_TOKEN, FakeSlack, SIGNING_SECRET } from '../fakes/slack/server.js';
import { testApp } from './app.js';

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address() as { port: number };
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

/** The real Bolt app (Socket Mode, or HTTP with `http: true`) against a fresh fake Slack. */
export async function startSlackAgainstFake(opts: { http?: boolean; env?: Record<string, string> } = {}) {
  const fake = await new FakeSlack().start();
  const port = await freePort();
  const app = testApp({
    SLACK_BOT_TOKEN: BOT_TOKEN,
    ...(opts.http
      ? { SLACK_SIGNING_SECRET: SIGNING_SECRET, SLACK_PORT: String(port) }
      : { SLACK_APP_TOKEN: APP_TOKEN }),
    SLACK_API_URL: fake.apiUrl,
    SLACK_FILE_URLS: fake.filesUrl,
    ...opts.env,
  });
  let bot: SlackBot | undefined;
  try {
    // No retries: a refused connection must fail fast in tests, not retry for half an hour.
    bot = await startSlack({ ...app, logger: pino({ level: process.env.TEST_LOG ?? 'silent' }) }, { retries: 0 });
  } catch (err) {
    await fake.stop();
    throw err;
  }
  return {
    fake,
    app,
    port,
    async stop() {
      await bot?.stop();
      await app.dispose();
      await fake.stop();
    },
  };
}
