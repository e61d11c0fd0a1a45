import { once } from 'node:events';
import type { IncomingMessage, Server } from 'node:http';
import type { WebSocket, WebSocketServer } from 'ws';

/** Records the calls a fake platform receives and lets tests wait for one. */
export class CallRecorder<C> {
  readonly calls: C[] = [];
  private waiters: { match: (c: C) => boolean; resolve: (c: C) => void }[] = [];

  constructor(private readonly name: string) {}

  record(call: C) {
    this.calls.push(call);
    for (const w of [...this.waiters]) {
      if (w.match(call)) {
        this.waiters.splice(this.waiters.indexOf(w), 1);
        w.resolve(call);
      }
    }
  }

  /** Resolves with the first recorded call (past or future) that matches. */
  waitFor(match: (c: C) => boolean, timeoutMs = 20_000): Promise<C> {
    const found = this.calls.find(match);
    if (found) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${this.name}: timed out waiting for a call`)), timeoutMs);
      this.waiters.push({ match, resolve: (c) => (clearTimeout(timer), resolve(c)) });
    });
  }
}

/** Serves HTTP and websocket upgrades on 127.0.0.1 and a free port; returns the port. */
export async function listenLoopback(
  http: Server,
  wss: WebSocketServer,
  onSocket: (ws: WebSocket) => void,
): Promise<number> {
  http.on('upgrade', (req, socket, head) => wss.handleUpgrade(req, socket, head, onSocket));
  http.listen(0, '127.0.0.1');
  await once(http, 'listening');
  return (http.address() as { port: number }).port;
}

export async function closeLoopback(http: Server, wss: WebSocketServer, sockets: readonly WebSocket[]): Promise<void> {
  for (const s of sockets) s.terminate();
  wss.close();
  http.closeAllConnections();
  await new Promise<void>((r) => http.close(() => r()));
}

export async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}
