import type { FastifyBaseLogger, FastifyInstance, FastifyRequest } from 'fastify';

// One line per request: what was asked (route, command), how it ended, how
// long it took. Never the content (no options, no images, no query string).
const outcomes = new WeakMap<FastifyRequest, string>();

/** The error code a request ended with (set by the error handler), for its log line. */
export function setOutcome(req: FastifyRequest, outcome: string): void {
  outcomes.set(req, outcome);
}

export function logRequest(
  log: FastifyBaseLogger,
  fields: { method: string; route: string; command?: string; status: number; outcome: string; ms: number },
): void {
  log.info({ ...fields, ms: Math.round(fields.ms) }, 'request');
}

export function registerRequestLog(web: FastifyInstance): void {
  web.addHook('onResponse', async (req, reply) => {
    // Streams log their own line when they end (a hijacked reply has no onResponse).
    const params = req.params as { name?: string } | undefined;
    logRequest(req.log, {
      method: req.method,
      route: req.routeOptions.url ?? 'not-found',
      ...(params?.name ? { command: params.name } : {}),
      status: reply.statusCode,
      outcome: outcomes.get(req) ?? (reply.statusCode < 400 ? 'ok' : String(reply.statusCode)),
      ms: reply.elapsedTime,
    });
  });
}
