import { randomBytes } from 'node:crypto';
import net from 'node:net';
import pg from 'pg';
import { expect, it } from 'vitest';

/** The PostgreSQL the project's machines run for tests (trust auth). */
export const PG_URL = process.env.SINAPSIS_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** Whether PostgreSQL answers; with SINAPSIS_NO_SKIP=1 an absent one fails the file's `required` test. */
export async function pgReachable(url = PG_URL): Promise<boolean> {
  const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2_000 });
  c.on('error', () => undefined);
  try {
    await c.connect();
    await c.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await c.end().catch(() => undefined);
  }
}

export const pgSkipMessage = (url = PG_URL) =>
  `PostgreSQL is not reachable at ${url}: its store tests are skipped (SINAPSIS_NO_SKIP=1 makes this a failure)`;

/**
 * Whether PostgreSQL answers, for a test file's describe.skipIf: without it the file says so once, and
 * under SINAPSIS_NO_SKIP=1 (CI) a test of its own fails instead of the file's tests being skipped quietly.
 */
export async function pgForThisFile(): Promise<boolean> {
  const up = await pgReachable();
  if (!up) console.warn(pgSkipMessage());
  it.runIf(process.env.SINAPSIS_NO_SKIP === '1')('PostgreSQL is reachable (SINAPSIS_NO_SKIP=1)', () => {
    expect(up, pgSkipMessage()).toBe(true);
  });
  return up;
}

/** A fresh, unique schema name (tests of several files run at once on one database). */
export const freshSchema = (prefix: string) =>
  `sx_${prefix.replace(/\W/g, '_').slice(0, 20)}_${randomBytes(4).toString('hex')}`.toLowerCase();

/** A URL whose connections use `schema` (created here, so a store migrates into it). */
export async function urlWithSchema(schema: string, url = PG_URL): Promise<string> {
  await adminQuery(`CREATE SCHEMA IF NOT EXISTS ${schema}`, url);
  const u = new URL(url);
  u.searchParams.set('options', `-c search_path=${schema}`);
  u.searchParams.set('application_name', schema);
  return u.toString();
}

export async function adminQuery(sql: string, url = PG_URL): Promise<pg.QueryResult> {
  const c = new pg.Client({ connectionString: url });
  c.on('error', () => undefined);
  await c.connect();
  try {
    return await c.query(sql);
  } finally {
    await c.end();
  }
}

export const dropSchemas = (schemas: readonly string[], url = PG_URL) =>
  Promise.all(schemas.map((s) => adminQuery(`DROP SCHEMA IF EXISTS ${s} CASCADE`, url).catch(() => undefined)));

/**
 * A TCP proxy in front of PostgreSQL that can go down and come back on the same port: the
 * process under test loses its database while running (connections cut, new ones refused).
 */
export async function flakyProxy(target = { host: '127.0.0.1', port: 5432 }) {
  const sockets = new Set<net.Socket>();
  const serve = () =>
    net.createServer((client) => {
      const upstream = net.connect(target);
      for (const s of [client, upstream]) {
        sockets.add(s);
        s.on('error', () => undefined);
        s.on('close', () => sockets.delete(s));
      }
      client.pipe(upstream).pipe(client);
    });
  let server = serve();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    url: (url = PG_URL) => {
      const u = new URL(url);
      u.port = String(port);
      return u.toString();
    },
    async down() {
      await new Promise<void>((r) => {
        server.close(() => r());
        for (const s of sockets) s.destroy();
      });
    },
    async up() {
      server = serve();
      await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
    },
    close() {
      for (const s of sockets) s.destroy();
      return new Promise<void>((r) => server.close(() => r()));
    },
  };
}
