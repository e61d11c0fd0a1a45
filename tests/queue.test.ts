import { describe, expect, it } from 'vitest';
import { SinapsisError } from '../src/errors.js';
import { MemoryQueue } from '../src/queue/memory-queue.js';

const opts = { concurrency: 1, maxWaiting: 10, maxWaitingPerUser: 10, timeoutMs: 5_000 };

/** A processor whose jobs finish only when the test releases them. */
function gated() {
  const started: string[] = [];
  const release = new Map<string, () => void>();
  const process = (p: string, signal: AbortSignal) =>
    new Promise<string>((resolve, reject) => {
      started.push(p);
      release.set(p, () => resolve(p));
      signal.addEventListener('abort', () => reject(signal.reason));
    });
  return { started, release, process };
}

const tick = () => new Promise((r) => setTimeout(r, 0));

describe('MemoryQueue', () => {
  it('runs at most `concurrency` jobs and serves users round-robin', async () => {
    const g = gated();
    const q = new MemoryQueue(g.process, { ...opts, concurrency: 2 });
    const handles = ['a1', 'a2', 'a3', 'a4', 'b1', 'c1'].map((id) => q.submit({ id, userId: id[0]!, payload: id }));
    await tick();
    expect(g.started).toEqual(['a1', 'a2']);
    // a's burst does not starve b and c: after a2, the rotation is b, c, a.
    expect(handles.map((h) => h.position())).toEqual([0, 0, 3, 4, 1, 2]);
    for (const id of ['a1', 'a2', 'b1', 'c1', 'a3', 'a4']) {
      await tick();
      g.release.get(id)?.();
      await tick();
    }
    await Promise.all(handles.map((h) => h.result));
    expect(g.started).toEqual(['a1', 'a2', 'b1', 'c1', 'a3', 'a4']);
  });

  it('reports position changes as the queue moves', async () => {
    const g = gated();
    const q = new MemoryQueue(g.process, opts);
    q.submit({ id: '1', userId: 'u1', payload: '1' });
    q.submit({ id: '2', userId: 'u2', payload: '2' });
    const seen: number[] = [];
    const h3 = q.submit({ id: '3', userId: 'u3', payload: '3' }, { onPosition: (p) => seen.push(p) });
    expect(h3.position()).toBe(2);
    await tick();
    g.release.get('1')!();
    await tick();
    await tick();
    expect(seen).toEqual([2, 1]);
    g.release.get('2')!();
    await tick();
    await tick();
    expect(h3.position()).toBe(0);
    expect(g.started).toEqual(['1', '2', '3']);
    g.release.get('3')!();
    await expect(h3.result).resolves.toBe('3');
  });

  it('refuses past the bounds with queue_full and user_queue_full', () => {
    const g = gated();
    const q = new MemoryQueue(g.process, { ...opts, maxWaiting: 3, maxWaitingPerUser: 2 });
    q.submit({ id: 'r', userId: 'x', payload: 'r' }); // runs at once
    q.submit({ id: '1', userId: 'a', payload: '1' });
    q.submit({ id: '2', userId: 'a', payload: '2' });
    expect(() => q.submit({ id: '3', userId: 'a', payload: '3' })).toThrow(
      expect.objectContaining({ code: 'user_queue_full' }),
    );
    q.submit({ id: '4', userId: 'b', payload: '4' });
    expect(() => q.submit({ id: '5', userId: 'c', payload: '5' })).toThrow(
      expect.objectContaining({ code: 'queue_full' }),
    );
    expect(q.stats()).toEqual({ waiting: 3, running: 1, stuck: 0 });
  });

  it('cancels waiting and running jobs', async () => {
    const g = gated();
    const q = new MemoryQueue(g.process, opts);
    const running = q.submit({ id: '1', userId: 'a', payload: '1' });
    const waiting = q.submit({ id: '2', userId: 'b', payload: '2' });
    const third = q.submit({ id: '3', userId: 'c', payload: '3' });
    waiting.cancel();
    await expect(waiting.result).rejects.toMatchObject({ code: 'cancelled' });
    expect(third.position()).toBe(1);
    await tick();
    running.cancel();
    await expect(running.result).rejects.toMatchObject({ code: 'cancelled' });
    await tick();
    await tick();
    expect(g.started).toEqual(['1', '3']);
  });

  it('stops a job past its timeout and frees the slot', async () => {
    const g = gated();
    const q = new MemoryQueue(g.process, { ...opts, timeoutMs: 50 });
    const slow = q.submit({ id: 'slow', userId: 'a', payload: 'slow' });
    const next = q.submit({ id: 'next', userId: 'b', payload: 'next' });
    const err = await slow.result.catch((e) => e);
    expect(err).toBeInstanceOf(SinapsisError);
    expect(err.code).toBe('timeout');
    expect(err.localized('es')).toMatch(/tardó demasiado/);
    await tick();
    g.release.get('next')!();
    await expect(next.result).resolves.toBe('next');
  });

  it('survives a throwing adapter callback and a throwing processor', async () => {
    const q = new MemoryQueue<string, string>(async (p) => {
      if (p === 'bad') throw new Error('boom');
      return p;
    }, opts);
    const bad = q.submit(
      { id: '1', userId: 'a', payload: 'bad' },
      {
        onStart: () => {
          throw new Error('adapter bug');
        },
      },
    );
    await expect(bad.result).rejects.toThrow('boom');
    await expect(q.submit({ id: '2', userId: 'a', payload: 'ok' }).result).resolves.toBe('ok');
  });

  it('frees the slot of work that never settles after its timeout plus a grace period, and reports it as stuck', async () => {
    const never = () => new Promise<string>(() => undefined);
    const q = new MemoryQueue<string, string>((p) => (p === 'hang' ? never() : Promise.resolve(p)), {
      ...opts,
      timeoutMs: 50,
      stopGraceMs: 50,
    });
    const hung = q.submit({ id: 'hang', userId: 'a', payload: 'hang' });
    const next = q.submit({ id: 'next', userId: 'b', payload: 'next' });
    const t0 = Date.now();
    await expect(hung.result).rejects.toMatchObject({ code: 'timeout' });
    await expect(next.result).resolves.toBe('next');
    expect(Date.now() - t0).toBeLessThan(2_000);
    expect(q.stats()).toEqual({ waiting: 0, running: 0, stuck: 1 });
  });

  it('close() ends waiting and running jobs with shutting_down and returns within its grace even if work hangs', async () => {
    const q = new MemoryQueue<string, string>(() => new Promise<string>(() => undefined), { ...opts, concurrency: 1 });
    const running = q.submit({ id: '1', userId: 'a', payload: '1' });
    const waiting = q.submit({ id: '2', userId: 'b', payload: '2' });
    await tick();
    const errors = [running, waiting].map((h) => h.result.catch((e) => e));
    const t0 = Date.now();
    await q.close(100);
    expect(Date.now() - t0).toBeLessThan(1_000);
    for (const e of errors) {
      const err = await e;
      expect(err.code).toBe('shutting_down');
      expect(err.localized('es')).toMatch(/reiniciando/);
    }
    expect(() => q.submit({ id: '3', userId: 'c', payload: '3' })).toThrow(SinapsisError);
  });

  it("knows the server and kind of each job: stats(server) counts that server's jobs until they finish", async () => {
    const g = gated();
    const q = new MemoryQueue(g.process, opts);
    const h1 = q.submit({ id: '1', userId: 'a', server: 'S1', kind: 'translate', payload: '1' }); // runs
    const h2 = q.submit({ id: '2', userId: 'b', server: 'S1', kind: 'detect-faces', payload: '2' });
    const h3 = q.submit({ id: '3', userId: 'c', server: 'S2', kind: 'translate', payload: '3' });
    const h4 = q.submit({ id: '4', userId: 'd', server: 'S2', kind: 'detect-faces', payload: '4' });
    for (const h of [h2, h4]) h.result.catch(() => undefined); // ended by close() below
    await tick();
    // Without a server the shape is the queue-wide one, as before.
    expect(q.stats()).toEqual({ waiting: 3, running: 1, stuck: 0 });
    expect(q.stats('S1')).toEqual({
      waiting: 3,
      running: 1,
      stuck: 0,
      serverJobs: 2,
      waitingByKind: { 'detect-faces': 2, translate: 1 },
    });
    expect(q.stats('S2').serverJobs).toBe(2);
    expect(q.stats('elsewhere').serverJobs).toBe(0);
    h3.cancel();
    await expect(h3.result).rejects.toMatchObject({ code: 'cancelled' });
    expect(q.stats('S2').serverJobs).toBe(1);
    g.release.get('1')!();
    await h1.result;
    expect(q.stats('S1').serverJobs).toBe(1);
    expect(Object.keys(q.stats('S1').waitingByKind!)).toEqual(['detect-faces']);
    await q.close(100);
    expect(q.stats('S1').serverJobs).toBe(0);
    expect(q.stats('S2').serverJobs).toBe(0);
  });

  it('a job that has to wait hears its position during submit: callers need not poll position()', () => {
    const g = gated();
    const q = new MemoryQueue(g.process, opts);
    const heard: string[] = [];
    q.submit({ id: 'r', userId: 'a', payload: 'r' }, { onPosition: (p) => heard.push(`r@${p}`) }).result.catch(
      () => undefined,
    );
    const before = heard.length;
    q.submit({ id: 'w', userId: 'b', payload: 'w' }, { onPosition: (p) => heard.push(`w@${p}`) }).result.catch(
      () => undefined,
    );
    // The running job is never told a position; the waiting one is told before submit returns.
    expect(before).toBe(0);
    expect(heard).toEqual(['w@1']);
    void q.close(10);
  });
});
