/**
 * Shared by the tests that drive the WeChat sandbox directly (test/sandbox): a clock the test moves by
 * hand, and one sandbox per describe block on it, started before the block's tests, reset before each
 * one, stopped after them.
 *
 * @example
 * ```ts
 * describe('sandbox tokens', () => {
 *   const { sandbox, clock } = useSandbox({ tokenTtlSeconds: 60 });
 *   it('expires', async () => { clock.advance(61_000); ... });
 * });
 * ```
 */
import { startSandbox, type Sandbox, type SandboxOptions } from '../../functions/dev/sandbox';

/** Where every test clock starts: a Monday, 10:00 in Beijing. */
export const START = Date.UTC(2025, 0, 6, 2, 0, 0);

/** A clock the test moves by hand. */
export class Clock {
  t = START;
  now = (): number => this.t;
  advance(ms: number): void {
    this.t += ms;
  }
}

/** A sandbox on a hand-moved clock, quiet. */
export async function sandboxWithClock(options: SandboxOptions = {}): Promise<{ sandbox: Sandbox; clock: Clock }> {
  const clock = new Clock();
  const sandbox = await startSandbox({ quiet: true, now: clock.now, ...options });
  return { sandbox, clock };
}

/** Stands for the value `current()` gives when it is used (reads and writes go to it). */
function standIn<T extends object>(what: string, current: () => T | undefined): T {
  const target = () => {
    const value = current();
    if (!value) throw new Error(`the ${what} is started in beforeAll: use it inside a test or a hook`);
    return value;
  };
  return new Proxy({} as T, {
    get: (_t, key) => {
      const value = target();
      const member = Reflect.get(value, key) as unknown;
      return typeof member === 'function' ? (member as (...a: unknown[]) => unknown).bind(value) : member;
    },
    set: (_t, key, value) => Reflect.set(target(), key, value),
  });
}

/**
 * One sandbox (and its clock) for a describe block: started in `beforeAll` with `options`, reset in
 * `beforeEach` (unless `reset: false`), stopped in `afterAll`. The values returned stand for the running
 * sandbox and its clock: use them inside tests and hooks.
 */
export function useSandbox(options: SandboxOptions = {}, { reset = true }: { reset?: boolean } = {}): { sandbox: Sandbox; clock: Clock } {
  let running: { sandbox: Sandbox; clock: Clock } | undefined;
  beforeAll(async () => {
    running = await sandboxWithClock(options);
  });
  afterAll(async () => {
    await running?.sandbox.stop();
  });
  if (reset) {
    beforeEach(() => {
      running?.sandbox.reset();
    });
  }
  return { sandbox: standIn('sandbox', () => running?.sandbox), clock: standIn('sandbox clock', () => running?.clock) };
}
