import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { buildWebServer } from '../../src/adapters/web/server.js';
import { loadConfig } from '../../src/config/index.js';
import { createApp } from '../../src/core/app.js';
import { MODELS_DIR } from './assets.js';

/** The real playground like startWeb, keeping its log lines (JSON) for the test to read. */
export async function startLoggedWeb(env: Record<string, string> = {}) {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'sinapsis-test-'));
  const config = loadConfig(
    {
      SINAPSIS_DATA_DIR: dataDir,
      SINAPSIS_MODELS_DIR: MODELS_DIR,
      SINAPSIS_AUTO_DOWNLOAD: 'false',
      SINAPSIS_SHUTDOWN_TIMEOUT_S: '1',
      ...env,
    },
    { dotenv: false },
  );
  const lines: Record<string, unknown>[] = [];
  const logger = pino({ level: 'info' }, { write: (s: string) => void lines.push(JSON.parse(s)) });
  const app = createApp(config, { logger });
  const web: FastifyInstance = await buildWebServer(app);
  await web.listen({ port: 0, host: '127.0.0.1' });
  const port = (web.server.address() as { port: number }).port;
  return {
    app,
    web,
    port,
    url: `http://127.0.0.1:${port}`,
    lines,
    async stop() {
      await web.close();
      await app.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
