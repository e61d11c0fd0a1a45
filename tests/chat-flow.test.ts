// The one chat flow both chat adapters use (src/adapters/chat-flow.ts), driven by a
// made-up third platform: it supplies only its message (open, edit, render, fail),
// the rest — download, submit, position, progress, saved state, final reply — is shared.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import pino from 'pino';
import detectFaces from '../commands/detect-faces.js';
import { pressButton, runWithProgress, type ChatReply } from '../src/adapters/chat-flow.js';
import { customId } from '../src/adapters/buttons.js';
import { explainResult } from '../src/adapters/result-explainer.js';
import type { CommandRequest, RequestContext, Service } from '../src/core/service.js';
import { SinapsisError } from '../src/errors.js';
import type { JobEvents } from '../src/queue/types.js';
import type { InteractionStateStore } from '../src/store/stores.js';
import type { TaskResult } from '../src/tasks/types.js';
import { testApp } from './helpers/app.js';

const log = pino({ level: 'silent' });
const ctx: RequestContext = {
  platform: 'toy',
  userId: 'u1',
  serverId: 's1',
  channelId: 'c1',
  roles: [],
  isAdmin: false,
  lang: 'es',
};
const result = (extra: Partial<TaskResult> = {}): TaskResult => ({
  text: '2 caras',
  images: [],
  data: {},
  timings: { total: 12 },
  model: 'yunet',
  ...extra,
});

/** A service stand-in that records the request and lets the test drive position, progress and the result. */
function fakeService(opts: { position?: number; refuse?: SinapsisError } = {}) {
  let settle!: { ok: (r: TaskResult) => void; fail: (e: unknown) => void };
  const seen: { req?: CommandRequest; events?: JobEvents } = {};
  let position = opts.position ?? 0;
  const service = {
    submit(req: CommandRequest, events?: JobEvents) {
      if (opts.refuse) throw opts.refuse;
      seen.req = req;
      seen.events = events;
      const promise = new Promise<TaskResult>((ok, fail) => (settle = { ok, fail }));
      return { id: 'j1', result: promise, position: () => position, cancel: () => undefined };
    },
  };
  return {
    service: service as unknown as Service,
    seen,
    setPosition: (p: number) => (position = p),
    settle: () => settle,
  };
}

/** A toy platform: payloads are strings, every step lands in `log`. */
function toyReply(steps: string[], over: Partial<ChatReply<string>> = {}): ChatReply<string> {
  return {
    download: async (ref, maxBytes) => {
      steps.push(`download ${ref.url} ≤${maxBytes}`);
      return Buffer.from('photo');
    },
    open: async () => {
      steps.push('open');
      return { message: 'm1' };
    },
    edit: async (p) => void steps.push(`edit ${p}`),
    progress: (text) => `[${text}]`,
    maxChars: 12,
    render: async (r, saved) => ({
      payload: `${r.text} #${saved.stateId} ${saved
        .followUps()
        .map((f) => f.label)
        .join(',')}`,
      after: async () => void steps.push('after'),
    }),
    fail: async (e, shown) => void (await shown.final(`error ${e.code}`)),
    ...over,
  };
}

const tick = (ms = 0) => new Promise((r) => setTimeout(r, ms));

let app: ReturnType<typeof testApp>;
let states: InteractionStateStore;
beforeEach(() => {
  app = testApp();
  states = app.stores.interactions;
});
afterEach(() => app.dispose());

describe('the shared chat flow (runWithProgress)', () => {
  it('downloads within the spec limit, then opens, queues, shows the position and progress, and answers last', async () => {
    const f = fakeService({ position: 2 });
    const steps: string[] = [];
    const done = runWithProgress(
      { service: f.service, states, log },
      { command: 'detect-faces', options: { blur: false }, images: { image: { url: 'https://files/p.jpg' } }, ctx },
      toyReply(steps),
    );
    await tick();
    // Bytes go to the service; the restart hook carries the reply language.
    expect(f.seen.req!.images!.image!.toString()).toBe('photo');
    expect(f.seen.req!.ctx.reply).toEqual({ message: 'm1', lang: 'es' });
    const maxBytes = (detectFaces.options.find((o) => o.name === 'image') as { maxBytes: number }).maxBytes;
    expect(steps.slice(0, 3)).toEqual([
      `download https://files/p.jpg ≤${maxBytes}`,
      'open',
      expect.stringMatching(/^edit \[⏳ .*2/),
    ]);
    f.setPosition(0);
    f.seen.events!.onProgress!({ kind: 'text', text: 'una cara y otra más' });
    await tick(1100);
    // Streamed text is cut to the platform's size, with a cursor.
    expect(steps.at(-1)).toBe('edit [una cara y ▌]');
    f.seen.events!.onProgress!({ kind: 'download', model: 'm', task: 'detect-faces', bytes: 50, total: 100 });
    f.settle().ok(result({ followUps: [{ label: 'más simple', options: { blur: true } }] }));
    await done;
    const final = steps.at(-2)!;
    expect(final).toMatch(/^edit 2 caras #\S+ más simple$/);
    expect(steps.at(-1)).toBe('after');
    // The result's state and the follow-up's state point back at the request.
    const stateId = /#(\S+)/.exec(final)![1]!;
    expect(await states.get(stateId)).toMatchObject({
      platform: 'toy',
      userId: 'u1',
      command: 'detect-faces',
      options: { blur: false },
      imageUrl: 'https://files/p.jpg',
      model: 'yunet',
    });
  });

  it('a throttled download progress never lands after the final reply', async () => {
    const f = fakeService();
    const steps: string[] = [];
    const done = runWithProgress(
      { service: f.service, states, log },
      { command: 'generate-text', options: { prompt: 'hola' }, images: {}, ctx },
      toyReply(steps),
    );
    await tick();
    f.seen.events!.onProgress!({ kind: 'download', model: 'm', task: 'generate-text', bytes: 1, total: 4 });
    f.seen.events!.onProgress!({ kind: 'download', model: 'm', task: 'generate-text', bytes: 2, total: 4 });
    f.settle().ok(result());
    await done;
    await tick(1100);
    expect(steps[0]).toBe('open');
    expect(steps[1]).toMatch(/^edit \[⬇️ .*25 %/);
    expect(steps.at(-2)).toMatch(/^edit 2 caras/);
    expect(steps.at(-1)).toBe('after');
  });

  it('failures: a refusal at submit and a failed job go through the platform’s fail, after any progress', async () => {
    const refused = fakeService({
      refuse: new SinapsisError('daily_quota', { command: 'generate-text', quota: 3, seconds: 60 }),
    });
    const steps: string[] = [];
    await runWithProgress(
      { service: refused.service, states, log },
      { command: 'generate-text', options: {}, images: {}, ctx },
      toyReply(steps),
    );
    expect(steps).toEqual(['open', 'edit error daily_quota']);

    const failing = fakeService({ position: 1 });
    const steps2: string[] = [];
    const done = runWithProgress(
      { service: failing.service, states, log },
      { command: 'generate-text', options: {}, images: {}, ctx },
      toyReply(steps2),
    );
    await tick();
    failing.settle().fail(new Error('boom'));
    await done;
    expect(steps2).toEqual(['open', expect.stringMatching(/^edit \[⏳/), 'edit error internal']);
  });

  it('a failed download fails before the message opens (nothing to clean up)', async () => {
    const f = fakeService();
    const steps: string[] = [];
    await runWithProgress(
      { service: f.service, states, log },
      { command: 'detect-faces', options: {}, images: { image: { url: 'x' } }, ctx },
      toyReply(steps, {
        download: async () => {
          throw new SinapsisError('download_failed');
        },
        fail: async (e) => void steps.push(`fail ${e.code}`),
      }),
    );
    expect(steps).toEqual(['fail download_failed']);
    expect(f.seen.req).toBeUndefined();
  });

  it('a message that cannot be edited (live: false) gets the position at submit once and no streamed progress', async () => {
    const f = fakeService({ position: 3 });
    const steps: string[] = [];
    const done = runWithProgress(
      { service: f.service, states, log },
      { command: 'translate', options: { text: 'hola' }, images: {}, ctx },
      toyReply(steps, { live: false, open: async () => undefined }),
    );
    await tick();
    expect(f.seen.events).toBeUndefined();
    expect(f.seen.req!.ctx.reply).toBeUndefined();
    f.settle().ok(result({ text: 'hello' }));
    await done;
    expect(steps).toEqual([expect.stringMatching(/^edit \[⏳ .*3/), expect.stringMatching(/^edit hello #/), 'after']);
  });
});

describe('buttons and restart notices, shared by the chat adapters', () => {
  it('pressButton: expired, someone else’s delete, explain, and re-runs with their options and photo', async () => {
    const deps = { states, models: app.models };
    const code = async (fn: () => unknown) => {
      try {
        await fn();
      } catch (e) {
        return (e as SinapsisError).code;
      }
    };
    expect(await code(() => pressButton(deps, 'nonsense', 'u1', 'es'))).toBe('button_expired');
    expect(await code(() => pressButton(deps, customId('again', 'gone'), 'u1', 'es'))).toBe('button_expired');
    const id = await states.save({
      platform: 'toy',
      userId: 'u1',
      command: 'detect-faces',
      options: { blur: false },
      imageUrl: 'https://files/p.jpg',
      model: 'yunet',
    });
    expect(await code(() => pressButton(deps, customId('delete', id), 'u2', 'es'))).toBe('not_your_button');
    expect(await pressButton(deps, customId('delete', id), 'u1', 'es')).toEqual({ kind: 'delete' });
    expect(await pressButton(deps, customId('explain', id), 'u2', 'es')).toEqual({
      kind: 'explain',
      text: explainResult(app.models, 'detect-faces', 'yunet', 'es'),
    });
    expect(await pressButton(deps, customId('blur', id), 'u2', 'es')).toEqual({
      kind: 'rerun',
      command: 'detect-faces',
      options: { blur: true },
      images: { image: { url: 'https://files/p.jpg', size: 0 } },
    });
  });

  it('service.check takes the image options’ names, before anything is downloaded', async () => {
    const c = { ...ctx, platform: 'discord' };
    expect(
      (await app.service.check({ command: 'detect-faces', options: {}, images: ['image'], ctx: c })).spec.name,
    ).toBe('detect-faces');
    await expect(app.service.check({ command: 'detect-faces', options: {}, images: [], ctx: c })).rejects.toThrow(
      expect.objectContaining({ code: 'missing_option' }),
    );
    await expect(
      app.service.check({ command: 'detect-faces', options: {}, images: ['photo'], ctx: c }),
    ).rejects.toThrow(expect.objectContaining({ code: 'unknown_option' }));
  });
});
