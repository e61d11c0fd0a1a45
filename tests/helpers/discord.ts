import pino from 'pino';
import { startDiscord, type DiscordBot } from '../../src/adapters/discord/bot.js';
import { APP_ID, FakeDiscord, GUILD_ID } from '../fakes/discord/server.js';
import { testApp } from './app.js';

/** The real bot (discord.js client, real service) connected to a fresh fake Discord. */
export async function startBotAgainstFake(env: Record<string, string> = {}, existing?: FakeDiscord) {
  const fake = existing ?? (await new FakeDiscord().start());
  const app = testApp({
    DISCORD_TOKEN: 'fake-token',
    DISCORD_APPLICATION_ID: APP_ID,
    DISCORD_GUILD_ID: GUILD_ID,
    DISCORD_API_URL: fake.apiUrl,
    DISCORD_CDN_URLS: fake.cdnUrl,
    ...env,
  });
  let bot: DiscordBot | undefined;
  try {
    bot = await startDiscord({ ...app, logger: pino({ level: process.env.TEST_LOG ?? 'silent' }) });
  } catch (err) {
    if (!existing) await fake.stop();
    throw err;
  }
  return {
    fake,
    app,
    bot,
    async stop() {
      await bot?.stop();
      await app.dispose();
      if (!existing) await fake.stop();
    },
  };
}
