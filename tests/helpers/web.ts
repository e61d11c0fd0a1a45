import type { FastifyInstance } from 'fastify';
import { buildWebServer } from '../../src/adapters/web/server.js';
import { testApp } from './app.js';

/** The real playground on 127.0.0.1 and a random port. */
export async function startWeb(env: Record<string, string> = {}) {
  const app = testApp(env);
  const web: FastifyInstance = await buildWebServer(app);
  await web.listen({ port: 0, host: '127.0.0.1' });
  const url = `http://127.0.0.1:${(web.server.address() as { port: number }).port}`;
  return {
    app,
    url,
    async stop() {
      await web.close();
      await app.dispose();
    },
  };
}

export function form(fields: Record<string, string | Buffer>): FormData {
  const fd = new FormData();
  for (const [k, v] of Object.entries(fields)) {
    if (typeof v === 'string') fd.append(k, v);
    else fd.append(k, new Blob([new Uint8Array(v)]), 'upload.bin');
  }
  return fd;
}
