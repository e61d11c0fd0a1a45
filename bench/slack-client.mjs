// Sends signed Slack slash-command requests all at once from its own process and
// prints how long each took to be acknowledged (the HTTP response). Job on stdin.
import { createHmac } from 'node:crypto';
import { request } from 'node:http';

const job = JSON.parse(
  await new Promise((r) => {
    let s = '';
    process.stdin.on('data', (d) => (s += d));
    process.stdin.on('end', () => r(s));
  }),
);
const send = (body) =>
  new Promise((resolve) => {
    const ts = Math.floor(Date.now() / 1000);
    const sig = `v0=${createHmac('sha256', job.secret).update(`v0:${ts}:${body}`).digest('hex')}`;
    const t0 = performance.now();
    const req = request(
      {
        host: '127.0.0.1',
        port: job.port,
        path: '/slack/events',
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          'x-slack-request-timestamp': ts,
          'x-slack-signature': sig,
        },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode, ms: performance.now() - t0 }));
      },
    );
    req.on('error', (e) => resolve({ status: 0, ms: performance.now() - t0, error: String(e) }));
    req.end(body);
  });
console.log(JSON.stringify(await Promise.all(job.bodies.map(send))));
