import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { loadConfig } from '../../src/config/index.js';
import { createApp, type App } from '../../src/core/app.js';
import type { DB } from '../../src/store/db.js';
import { MODELS_DIR } from './assets.js';

/** A full app over a throwaway data dir, models from ../shared, no downloads. */
/** `db` is there unless `env` names SINAPSIS_DATABASE_URL (PostgreSQL). */
export function testApp(env: Record<string, string> = {}): App & { db: DB; dispose(): Promise<void> } {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'sinapsis-test-'));
  const config = loadConfig(
    {
      SINAPSIS_DATA_DIR: dataDir,
      SINAPSIS_MODELS_DIR: MODELS_DIR,
      SINAPSIS_AUTO_DOWNLOAD: 'false',
      // Tests swap in stand-in tasks in their own thread (standInTask): jobs run here unless a test asks for the pool.
      SINAPSIS_WORKER_THREADS: 'false',
      ...env,
    },
    { dotenv: false },
  );
  const app = createApp(config, { logger: pino({ level: 'silent' }) });
  return {
    ...app,
    db: app.db!,
    async dispose() {
      await app.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export function tempDir(): string {
  return mkdtempSync(path.join(os.tmpdir(), 'sinapsis-test-'));
}
