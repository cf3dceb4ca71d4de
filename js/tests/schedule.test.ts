import { describe, expect, it } from 'vitest';
import { ChangeBatcher, LatestOnly, throttle } from '../src/schedule';

function deferred() {
  let resolve!: () => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

const tick = () => new Promise((r) => setTimeout(r, 0));

describe('LatestOnly (draw coalescing)', () => {
  it('runs one draw at a time and keeps only the newest waiting frame', async () => {
    const started: number[] = [];
    const pending: Array<ReturnType<typeof deferred>> = [];
    const queue = new LatestOnly<number>((frame) => {
      started.push(frame);
      const d = deferred();
      pending.push(d);
      return d.promise;
    });
    queue.push(1);
    queue.push(2);
    queue.push(3);
    queue.push(4);
    expect(started).toEqual([1]);
    expect(queue.dropped).toBe(2);
    pending[0].resolve();
    await tick();
    expect(started).toEqual([1, 4]);
    pending[1].resolve();
    await queue.whenIdle();
    expect(started).toEqual([1, 4]);
    expect(queue.busy).toBe(false);
  });

  it('folds waiting frames together so no change is lost', async () => {
    const started: string[][] = [];
    const gates: Array<ReturnType<typeof deferred>> = [];
    const queue = new LatestOnly<Set<string>>(
      (keys) => {
        started.push([...keys].sort());
        const d = deferred();
        gates.push(d);
        return d.promise;
      },
      () => {},
      (a, b) => new Set([...a, ...b]),
    );
    queue.push(new Set(['labels']));
    queue.push(new Set(['points']));
    queue.push(new Set(['confidence']));
    gates[0].resolve();
    await tick();
    expect(started[1]).toEqual(['confidence', 'points']);
  });

  it('keeps drawing after a failed draw and reports the error', async () => {
    const errors: unknown[] = [];
    const started: number[] = [];
    const queue = new LatestOnly<number>(
      (frame) => {
        started.push(frame);
        if (frame === 1) throw new Error('draw in progress');
        return Promise.resolve();
      },
      (e) => errors.push(e),
    );
    queue.push(1);
    queue.push(2);
    await tick();
    await queue.whenIdle();
    expect(started).toEqual([1, 2]);
    expect(errors).toHaveLength(1);
  });
});

describe('ChangeBatcher', () => {
  it('gathers trait changes of one message into one flush', () => {
    const flushed: string[][] = [];
    const jobs: Array<() => void> = [];
    const batcher = new ChangeBatcher<string>((keys) => flushed.push([...keys]), (fn) => jobs.push(fn));
    batcher.mark('points');
    batcher.mark('labels');
    batcher.mark('points');
    expect(jobs).toHaveLength(1);
    jobs.shift()!();
    expect(flushed).toEqual([['points', 'labels']]);
    batcher.mark('confidence');
    jobs.shift()!();
    expect(flushed[1]).toEqual(['confidence']);
  });
});

describe('throttle', () => {
  it('calls at most once per interval with the latest arguments, trailing call kept', () => {
    let now = 0;
    const timers: Array<{ at: number; fn: () => void }> = [];
    const calls: number[] = [];
    const f = throttle((v: number) => calls.push(v), 100, () => now, (fn, ms) => timers.push({ at: now + ms, fn }));
    f(1); // immediately
    now = 10;
    f(2);
    now = 50;
    f(3);
    expect(calls).toEqual([1]);
    expect(timers).toHaveLength(1);
    now = timers[0].at;
    timers.shift()!.fn();
    expect(calls).toEqual([1, 3]);
    now = 500;
    f(4);
    expect(calls).toEqual([1, 3, 4]);
  });
});
