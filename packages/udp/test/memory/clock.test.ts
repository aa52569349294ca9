// The clocks of the memory network: a VirtualClock runs what falls due in (time, scheduling order),
// each task seeing its own due time, and never moves by itself; the real clock fires on real timers.

import { describe, expect, it } from 'vitest';
import { DEFAULT_VIRTUAL_START_NS, MemoryNetwork, VirtualClock } from '../../src/index.js';

describe('VirtualClock', () => {
  it('starts at a fixed Unix time (or the one given) and moves only on advance()', () => {
    const clock = new VirtualClock();
    expect(clock.nowNs()).toBe(DEFAULT_VIRTUAL_START_NS);
    expect(clock.monotonicMs()).toBe(0);
    clock.advance(1.000001);
    expect(clock.nowNs()).toBe(DEFAULT_VIRTUAL_START_NS + 1_000_001n);
    expect(clock.monotonicMs()).toBeCloseTo(1.000001, 9);
    const custom = new VirtualClock({ startNs: 1_000_000_000_999_999_999n });
    custom.advance(0.000001);
    expect(custom.nowNs()).toBe(1_000_000_001_000_000_000n);
    const wall = { seconds: 0, nanos: 0 };
    custom.readWall(wall);
    expect(wall).toEqual({ seconds: 1_000_000_001, nanos: 0 });
  });

  it('runs tasks in time order, ties in the order scheduled, each at its own time', () => {
    const clock = new VirtualClock();
    const log: string[] = [];
    const note = (name: string) => () => log.push(`${name}@${clock.monotonicMs()}`);
    clock.schedule(5, note('b'));
    clock.schedule(2, note('a'));
    clock.schedule(5, note('c'));
    const cancelled = clock.schedule(3, note('never'));
    clock.schedule(4, () => {
      note('d')();
      // Scheduled from a task, due inside the window: runs in this advance too.
      clock.schedule(4.5, note('e'));
    });
    clock.cancel(cancelled);
    clock.cancel(12_345); // unknown: ignored
    expect(clock.pending).toBe(4);
    clock.advance(4.9);
    expect(log).toEqual(['a@2', 'd@4', 'e@4.5']);
    expect(clock.monotonicMs()).toBe(4.9);
    clock.advance(10);
    expect(log).toEqual(['a@2', 'd@4', 'e@4.5', 'b@5', 'c@5']);
    expect(clock.pending).toBe(0);
  });

  it('runs a task scheduled in the past on the next advance, and refuses bad input', () => {
    const clock = new VirtualClock();
    clock.advance(10);
    let ran = -1;
    clock.schedule(1, () => {
      ran = clock.monotonicMs();
    });
    expect(ran).toBe(-1);
    clock.advance(0);
    expect(ran).toBe(10);
    expect(() => {
      clock.advance(-1);
    }).toThrow(RangeError);
    expect(() => clock.schedule(Number.NaN, () => undefined)).toThrow(RangeError);
    clock.schedule(11, () => {
      clock.advance(1);
    });
    expect(() => {
      clock.advance(5);
    }).toThrow(/called from a task/);
  });

  it('stops a zero-delay ping-pong instead of never returning', async () => {
    const clock = new VirtualClock();
    const network = new MemoryNetwork({ clock });
    const a = await network.open({ family: 4, address: '10.0.0.1' });
    const b = await network.open({ family: 4, address: '10.0.0.2' });
    const bounce = (socket: typeof a) => {
      socket.onReceive((batch) => {
        for (let i = 0; i < batch.count; i++) socket.reply(batch, i, batch.data(i), batch.length(i));
      });
    };
    bounce(a);
    bounce(b);
    a.send(Buffer.from('ball'), 4, '10.0.0.2', b.localPort);
    expect(() => {
      clock.advance(1);
    }).toThrow(/one virtual instant/);
    network.close();
  });
});

describe('real clock', () => {
  it('runs scheduled callbacks on real timers, in order, and cancels', async () => {
    const network = new MemoryNetwork({ clock: 'real' });
    const clock = network.clock;
    expect(clock.mode).toBe('real');
    const before = Date.now();
    const log: number[] = [];
    const done = new Promise<void>((resolve) => {
      clock.schedule(clock.monotonicMs() + 30, () => {
        log.push(2);
        resolve();
      });
    });
    clock.schedule(clock.monotonicMs() + 10, () => log.push(1));
    const never = clock.schedule(clock.monotonicMs() + 20, () => log.push(99));
    clock.cancel(never);
    await done;
    expect(log).toEqual([1, 2]);
    expect(Date.now() - before).toBeGreaterThanOrEqual(25);
    // Its wall clock is the system's (to within seconds: a sanity bound, not a speed target).
    expect(Math.abs(Number(clock.nowNs() / 1_000_000n) - Date.now())).toBeLessThan(5000);
    network.close();
  });
});
