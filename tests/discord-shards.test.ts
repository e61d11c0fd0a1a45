import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { APP_ID, FakeDiscord, GUILD_ID, GUILD_ID_2, shardOf } from './fakes/discord/server.js';
import { describeWith, MODELS_DIR, ROOT, yunetFile } from './helpers/assets.js';
import { dropSchemas, freshSchema, pgForThisFile, urlWithSchema } from './helpers/pg.js';
import { describeRedis, dropPrefix, REDIS_URL, testPrefix } from './helpers/redis.js';

// `npm run shards` against a fake Discord that recommends two shards and routes each server's
// events only to its shard's connection, as Discord does: one process per shard, each answering
// its own servers' commands exactly once, all queueing into one Redis and one PostgreSQL.
const pgUp = await pgForThisFile();
const prefix = testPrefix('shards');
const schema = freshSchema('shards');
const dataDir = mkdtempSync(path.join(os.tmpdir(), 'sinapsis-test-'));
let launcher: ChildProcess | undefined;
let fake: FakeDiscord | undefined;
afterAll(async () => {
  if (launcher?.exitCode === null) {
    launcher.kill('SIGTERM');
    await new Promise((r) => launcher!.once('exit', r));
  }
  await fake?.stop();
  await dropPrefix(prefix);
  if (pgUp) await dropSchemas([schema]);
  rmSync(dataDir, { recursive: true, force: true });
});

describeRedis('Discord shards', () => {
  describe.skipIf(!pgUp)('on Redis and PostgreSQL', () => {
    describeWith('with YuNet', [yunetFile], () => {
      it('npm run shards starts one process per recommended shard; each server is answered once, by its own shard', async () => {
        expect(shardOf(GUILD_ID, 2)).not.toBe(shardOf(GUILD_ID_2, 2));
        fake = await new FakeDiscord({ shards: 2 }).start();
        launcher = spawn(process.execPath, ['--import', 'tsx', 'src/shards.ts'], {
          cwd: ROOT,
          env: {
            ...process.env,
            SINAPSIS_DATA_DIR: dataDir,
            SINAPSIS_MODELS_DIR: MODELS_DIR,
            SINAPSIS_AUTO_DOWNLOAD: 'false',
            SINAPSIS_REDIS_URL: REDIS_URL,
            SINAPSIS_REDIS_PREFIX: prefix,
            SINAPSIS_DATABASE_URL: await urlWithSchema(schema),
            // Each shard also runs one job at a time itself, in this test only (no separate worker).
            SINAPSIS_WORKERS: '1',
            SINAPSIS_CONCURRENCY: '1',
            DISCORD_TOKEN: 'fake-token',
            DISCORD_APPLICATION_ID: APP_ID,
            DISCORD_API_URL: fake.apiUrl,
            DISCORD_CDN_URLS: fake.cdnUrl,
            LOG_LEVEL: 'info',
          },
          stdio: ['ignore', 'pipe', 'inherit'],
        });
        let log = '';
        launcher.stdout!.on('data', (c) => (log += c));
        await expect
          .poll(() => log.includes('every shard is connected'), { timeout: 120_000, interval: 200 })
          .toBe(true);
        expect([...fake.shards.values()].sort()).toEqual([
          [0, 2],
          [1, 2],
        ]);

        const ids = [GUILD_ID, GUILD_ID_2].map((guildId) =>
          fake!.command('detect-faces', [{ name: 'sample', type: 3, value: 'astronaut' }], {
            guildId,
            locale: 'es-419',
          }),
        );
        const answer = (id: string) => (c: { method: string; path: string; files: unknown[] }) =>
          c.method === 'PATCH' && c.path.includes(`/tok-${id}/`) && c.files.length > 0;
        for (const id of ids) {
          const final = await fake.waitFor(answer(id), 60_000);
          expect(final.json.content).toMatch(/^Encontré 1 cara\./);
        }
        await new Promise((r) => setTimeout(r, 500));
        for (const id of ids) expect(fake.calls.filter(answer(id))).toHaveLength(1);
        // Each interaction was acknowledged once: only its own shard saw it.
        for (const id of ids)
          expect(fake.calls.filter((c) => c.method === 'POST' && c.path.includes(`/interactions/${id}/`))).toHaveLength(
            1,
          );
      }, 180_000);
    });
  });
});
