/**
 * Coalescing of live updates. The kernel sends at most ~10 frames a second, but a draw with a
 * transition takes longer than that and the scatter plot refuses a draw while one is running.
 * So: one draw in flight, and only the newest waiting frame is kept (older ones are dropped).
 */

export class LatestOnly<T> {
  private running = false;
  private waiting: { value: T } | null = null;
  private idleResolvers: Array<() => void> = [];
  /** Frames replaced before they were drawn (for tests and the debug hook). */
  dropped = 0;

  /**
   * @param run draws one value; the next starts when its promise settles.
   * @param combine folds a newer value into the one already waiting (default: the newer wins).
   */
  constructor(
    private readonly run: (value: T) => Promise<unknown> | unknown,
    private readonly onError: (error: unknown) => void = () => {},
    private readonly combine: (waiting: T, incoming: T) => T = (_, incoming) => incoming,
  ) {}

  push(value: T): void {
    if (this.running) {
      if (this.waiting) {
        this.dropped++;
        this.waiting = { value: this.combine(this.waiting.value, value) };
      } else {
        this.waiting = { value };
      }
      return;
    }
    this.start(value);
  }

  get busy(): boolean {
    return this.running;
  }

  /** Resolves when nothing is running or waiting. */
  whenIdle(): Promise<void> {
    if (!this.running) return Promise.resolve();
    return new Promise((resolve) => this.idleResolvers.push(resolve));
  }

  private start(value: T): void {
    this.running = true;
    let result: Promise<unknown>;
    try {
      result = Promise.resolve(this.run(value));
    } catch (error) {
      result = Promise.reject(error);
    }
    result.catch(this.onError).finally(() => {
      this.running = false;
      const next = this.waiting;
      this.waiting = null;
      if (next) {
        this.start(next.value);
      } else {
        const resolvers = this.idleResolvers;
        this.idleResolvers = [];
        resolvers.forEach((r) => r());
      }
    });
  }
}

/**
 * Gathers several synchronous trait-change events (points, labels, confidence arrive together)
 * into one call on the next tick, with the union of what changed.
 */
export class ChangeBatcher<K extends string> {
  private keys = new Set<K>();
  private scheduled = false;

  constructor(
    private readonly flush: (changed: Set<K>) => void,
    private readonly schedule: (fn: () => void) => void = (fn) => queueMicrotask(fn),
  ) {}

  mark(key: K): void {
    this.keys.add(key);
    if (this.scheduled) return;
    this.scheduled = true;
    this.schedule(() => {
      this.scheduled = false;
      const keys = this.keys;
      this.keys = new Set();
      if (keys.size) this.flush(keys);
    });
  }
}

/** Calls fn at most once per `wait` ms, always with the latest arguments (trailing call kept). */
export function throttle<A extends unknown[]>(
  fn: (...args: A) => void,
  wait: number,
  now: () => number = () => Date.now(),
  setTimer: (fn: () => void, ms: number) => unknown = (f, ms) => setTimeout(f, ms),
): (...args: A) => void {
  let last = -Infinity;
  let pending: A | null = null;
  let timer = false;
  const fire = () => {
    timer = false;
    if (!pending) return;
    const args = pending;
    pending = null;
    last = now();
    fn(...args);
  };
  return (...args: A) => {
    pending = args;
    const elapsed = now() - last;
    if (elapsed >= wait && !timer) {
      fire();
    } else if (!timer) {
      timer = true;
      setTimer(fire, Math.max(0, wait - elapsed));
    }
  };
}
