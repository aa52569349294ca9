import { afterEach, describe, expect, it, vi } from 'vitest';
import { Watchdog } from '../src/commands/watchdog.js';

afterEach(() => {
  vi.useRealTimers();
});

describe('Watchdog', () => {
  it('expires with the error of the earliest deadline', async () => {
    const watchdog = new Watchdog();
    watchdog.arm(10_000, () => new Error('late'));
    watchdog.arm(5, () => new Error('early'));
    watchdog.arm(20_000, () => new Error('ignored: later than the one set'));
    await expect(watchdog.expired).rejects.toThrow('early');
  });

  it('waits out deadlines longer than a timer can hold without firing early', () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
    const watchdog = new Watchdog();
    let expired = false;
    watchdog.expired.catch(() => (expired = true));
    watchdog.arm(2 ** 31 + 10_000, () => new Error('much later'));
    vi.advanceTimersByTime(2 ** 31 - 1);
    return Promise.resolve().then(() => {
      expect(expired).toBe(false);
      watchdog.cancel();
    });
  });

  it('does nothing once cancelled', async () => {
    const watchdog = new Watchdog();
    let expired = false;
    watchdog.expired.catch(() => (expired = true));
    watchdog.arm(5, () => new Error('never'));
    watchdog.cancel();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(expired).toBe(false);
  });
});
