// The fake Discord in its own process (tests/fakes/discord/standalone.ts), so its timestamps of both
// ends are not disturbed by the bot's work, driven through its small JSON control API.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';

const ROOT = path.resolve(import.meta.dirname, '../..');

export async function startFakeDiscordProcess() {
  const child = spawn(
    path.join(ROOT, 'node_modules/.bin/tsx'),
    [path.join(ROOT, 'tests/fakes/discord/standalone.ts')],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const { port, control } = JSON.parse(
    await new Promise<string>((r) => createInterface({ input: child.stdout! }).once('line', r)),
  ) as { port: number; control: number };
  /** POSTs to the control API (`command`, `attachment`, `calls`, …) and returns its JSON answer. */
  const ctl = async (what: string, body?: unknown) =>
    (await fetch(`http://127.0.0.1:${control}/${what}`, { method: 'POST', body: JSON.stringify(body ?? {}) })).json();
  return { port, ctl, stop: () => child.kill('SIGTERM') };
}
