// The fake Discord in its own process, driven over a small JSON control API, so
// latency measured by the fake (interaction sent → callback received) is not
// disturbed by the bot's event loop. Prints `{"port":N}` when ready.
import { createServer } from 'node:http';
import { FakeDiscord } from './server.js';

// FAKE_DISCORD_SHARDS=2: a second server and per-shard routing (the sharding test and bench).
const fake = await new FakeDiscord({ shards: Number(process.env.FAKE_DISCORD_SHARDS) || 1 }).start();
const control = createServer(async (req, res) => {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const body = chunks.length ? JSON.parse(Buffer.concat(chunks).toString('utf8')) : {};
  const reply = (json: unknown) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(json));
  };
  if (req.url === '/attachment') return reply(fake.attachment(body.name, Buffer.from(body.base64, 'base64')));
  if (req.url === '/command') return reply({ id: fake.command(body.name, body.options, body.opts) });
  if (req.url === '/message-command')
    return reply({
      id: fake.messageCommand(body.name, fake.postedMessage(body.content, body.attachments ?? []), body.opts),
    });
  if (req.url === '/shards') return reply({ identified: [...fake.shards.values()] });
  if (req.url === '/calls') {
    return reply({
      calls: fake.calls.map((c) => ({ ...c, files: c.files.map((f) => ({ name: f.name, size: f.data.length })) })),
      sentAt: Object.fromEntries(fake.sentAt),
    });
  }
  res.writeHead(404).end();
});
control.listen(0, '127.0.0.1', () => {
  process.stdout.write(
    `${JSON.stringify({ port: fake.port, control: (control.address() as { port: number }).port })}\n`,
  );
});
process.on('SIGTERM', async () => {
  await fake.stop();
  process.exit(0);
});
