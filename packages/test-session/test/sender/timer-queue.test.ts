// The slow senders' shared timer queue: timers fire in due order, never before their due time on
// the queue's clock, once per arming; cancel, re-arm and release work from inside callbacks; a
// callback that re-arms for "now" waits for the next round instead of looping; freed slots are
// reused. Real timers, short delays, generous bounds (nothing here asserts speed).
import { describe, expect, it } from 'vitest';
import { TimerQueue } from '../../src/sender/timer-queue.js';

const now = (): number => performance.now();
const sleep = (ms: number): Promise<void> =>
  new Promise((resolve) => {
    setTimeout(resolve, ms);
  });

/** Resolves when `done()` is true, polling; rejects after `timeoutMs`. */
async function until(done: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await sleep(2);
  }
}

describe('TimerQueue', () => {
  it('a timer due now still fires while other timers are armed for "now" over and over (the reused short wait is not pushed back)', async () => {
    const queue = new TimerQueue(now);
    const seen = { fired: false };
    const slot = queue.register(() => {
      seen.fired = true;
    });
    queue.arm(slot, now());
    // Another timer re-armed for a moment just ahead, from a busy loop of ~20 ms (arms every few µs).
    const other = queue.register(() => undefined);
    const end = now() + 20;
    while (now() < end && !seen.fired) {
      queue.arm(other, now() + 0.5);
      await new Promise<void>((resolve) => {
        setImmediate(resolve);
      });
    }
    expect(seen.fired).toBe(true);
    queue.release(other);
  });

  it('fires every armed timer once, in due order, never before its due time', async () => {
    const queue = new TimerQueue(now);
    const fired: { name: number; late: number }[] = [];
    const start = now();
    const delays = [30, 5, 20, 10, 25, 15, 1, 40];
    for (const [name, delay] of delays.entries()) {
      const slot = queue.register(() => {
        fired.push({ name, late: now() - (start + delay) });
      });
      queue.arm(slot, start + delay);
    }
    expect(queue.armed).toBe(delays.length);
    await until(() => fired.length === delays.length);
    await sleep(20);
    expect(fired).toHaveLength(delays.length);
    const order = [...delays.keys()].sort((a, b) => (delays[a] ?? 0) - (delays[b] ?? 0));
    expect(fired.map((f) => f.name)).toEqual(order);
    for (const f of fired) expect(f.late).toBeGreaterThanOrEqual(0);
    expect(queue.armed).toBe(0);
  });

  it('cancel() and a re-arm move or drop a timer; an earlier arm is not held back by a later one', async () => {
    const queue = new TimerQueue(now);
    const fired: string[] = [];
    const late = queue.register(() => fired.push('late'));
    const cancelled = queue.register(() => fired.push('cancelled'));
    const moved = queue.register(() => fired.push('moved'));
    const start = now();
    queue.arm(late, start + 60);
    queue.arm(cancelled, start + 5);
    queue.arm(moved, start + 80);
    queue.cancel(cancelled);
    // Earlier than the queue's armed Node.js timer (60 ms): must fire first, not at 60 ms.
    queue.arm(moved, start + 10);
    await until(() => fired.length === 2);
    expect(fired).toEqual(['moved', 'late']);
    await sleep(30);
    expect(fired).toEqual(['moved', 'late']);
  });

  it('callbacks may cancel another due timer, re-arm themselves, and re-arming for now waits a round', async () => {
    const queue = new TimerQueue(now);
    const fired: string[] = [];
    let rounds = 0;
    const start = now();
    const victim = queue.register(() => fired.push('victim'));
    const killer = queue.register(() => {
      fired.push('killer');
      queue.cancel(victim);
    });
    const again = queue.register(() => {
      rounds += 1;
      fired.push(`again${rounds}`);
      // Due at once: must not run again inside this round.
      if (rounds < 3) queue.arm(again, now());
    });
    queue.arm(killer, start + 5);
    queue.arm(victim, start + 6);
    queue.arm(again, start + 5);
    await sleep(20);
    await until(() => rounds === 3);
    expect(fired).not.toContain('victim');
    expect(fired.filter((f) => f.startsWith('again'))).toEqual(['again1', 'again2', 'again3']);
  });

  it('release() frees a slot for reuse and silences it; arming a released slot does nothing', async () => {
    const queue = new TimerQueue(now);
    const fired: string[] = [];
    const a = queue.register(() => fired.push('a'));
    queue.arm(a, now() + 5);
    queue.release(a);
    queue.arm(a, now() + 5);
    expect(queue.registered).toBe(0);
    expect(queue.armed).toBe(0);
    const b = queue.register(() => fired.push('b'));
    expect(b).toBe(a);
    queue.arm(b, now() + 5);
    await until(() => fired.length === 1);
    await sleep(20);
    expect(fired).toEqual(['b']);
    queue.arm(-1, now());
    expect(queue.armed).toBe(0);
  });

  it('holds thousands of timers (grows) and fires each once', async () => {
    const queue = new TimerQueue(now);
    const counts = new Int32Array(5000);
    const start = now();
    for (let i = 0; i < counts.length; i++) {
      const slot = queue.register(() => {
        counts[i] = (counts[i] ?? 0) + 1;
      });
      queue.arm(slot, start + (i % 50));
    }
    await until(() => counts.every((c) => c === 1));
    await sleep(20);
    expect(counts.every((c) => c === 1)).toBe(true);
  });
});
