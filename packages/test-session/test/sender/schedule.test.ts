// Schedules: the Poisson stream's statistics and seeds, the absolute timeline, bursts, and how a
// run ends (count, duration, abort) with in-flight packets still given their loss timeout.
import { describe, expect, it } from 'vitest';
import { SessionSender, type SessionSenderOptions } from '../../src/sender/index.js';
import { SeededUniform, Timeline } from '../../src/sender/schedule.js';
import { openTestReflector } from './fixture.js';

function gaps(timeline: Timeline, n: number): number[] {
  const out: number[] = [];
  let previous = timeline.nextMs;
  for (let i = 0; i < n; i++) {
    timeline.advance();
    out.push(timeline.nextMs - previous);
    previous = timeline.nextMs;
  }
  return out;
}

describe('Timeline', () => {
  it('periodic slots are index × interval, with no summed rounding', () => {
    const timeline = new Timeline({ kind: 'periodic', intervalMs: 0.1 });
    for (let i = 0; i < 100_000; i++) timeline.advance();
    expect(timeline.nextMs).toBe(100_000 * 0.1);
  });

  it('Poisson gaps are exponential: mean and standard deviation near the mean interval', () => {
    const mean = 5;
    const values = gaps(new Timeline({ kind: 'poisson', meanIntervalMs: mean, seed: 12345 }), 50_000);
    const average = values.reduce((a, b) => a + b, 0) / values.length;
    const variance = values.reduce((a, b) => a + (b - average) ** 2, 0) / values.length;
    // Standard error of the mean: 5 / sqrt(50 000) ≈ 0.022; allow 5 of them.
    expect(Math.abs(average - mean)).toBeLessThan(0.12);
    expect(Math.abs(Math.sqrt(variance) - mean)).toBeLessThan(0.25);
    // P(gap > mean) = e^-1 for an exponential distribution.
    const above = values.filter((v) => v > mean).length / values.length;
    expect(Math.abs(above - Math.exp(-1))).toBeLessThan(0.01);
    expect(Math.min(...values)).toBeGreaterThanOrEqual(0);
  });

  it('the same seed gives the same stream; another seed a different one', () => {
    const a = gaps(new Timeline({ kind: 'poisson', meanIntervalMs: 1, seed: 7 }), 100);
    const b = gaps(new Timeline({ kind: 'poisson', meanIntervalMs: 1, seed: 7 }), 100);
    const c = gaps(new Timeline({ kind: 'poisson', meanIntervalMs: 1, seed: 8 }), 100);
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
  });

  it('the uniform generator covers [0, 1)', () => {
    const random = new SeededUniform(1);
    let min = 1;
    let max = 0;
    for (let i = 0; i < 10_000; i++) {
      const u = random.next();
      min = Math.min(min, u);
      max = Math.max(max, u);
    }
    expect(min).toBeGreaterThanOrEqual(0);
    expect(min).toBeLessThan(0.001);
    expect(max).toBeLessThan(1);
    expect(max).toBeGreaterThan(0.999);
  });
});

async function runAgainstFixture(options: Partial<Omit<SessionSenderOptions, 'target'>>, drop?: (sequence: number) => boolean) {
  const reflector = await openTestReflector({ protocol: 'twamp', ...(drop ? { drop } : {}) });
  const planned: number[] = [];
  const actual: number[] = [];
  try {
    const sender = await SessionSender.open({
      target: { address: '127.0.0.1', port: reflector.port },
      protocol: 'twamp-light',
      lossTimeoutMs: 300,
      onSendTiming: (p, a) => {
        planned.push(p);
        actual.push(a);
      },
      ...options,
    });
    return { sender, reflector, planned, actual };
  } catch (error) {
    reflector.close();
    throw error;
  }
}

describe('a live run', () => {
  it('a seeded Poisson run plans its send times from the seed', async () => {
    const { sender, reflector, planned } = await runAgainstFixture({ schedule: { kind: 'poisson', meanIntervalMs: 1, seed: 99 }, count: 40 });
    const report = await sender.done;
    reflector.close();
    expect(report.schedule).toMatchObject({ kind: 'poisson', seed: 99 });
    // The gaps the seed gives; a live gap is that, or longer when the timeline had to move (a loaded machine).
    const expected = gaps(new Timeline({ kind: 'poisson', meanIntervalMs: 1, seed: 99 }), planned.length - 1);
    let exact = 0;
    for (let k = 1; k < planned.length; k++) {
      const gapNs = planned[k]! - planned[k - 1]!;
      const expectedNs = expected[k - 1]! * 1e6;
      expect(gapNs).toBeGreaterThan(expectedNs - 1);
      if (Math.abs(gapNs - expectedNs) < 1) exact++;
    }
    expect(exact).toBeGreaterThanOrEqual(planned.length - 1 - report.schedule.timelineShifts);
  });

  it('count: exactly that many, in bursts when asked', async () => {
    const { sender, reflector, planned } = await runAgainstFixture({ schedule: { kind: 'periodic', intervalMs: 2 }, count: 10, burst: 3 });
    const report = await sender.done;
    reflector.close();
    expect(report.summary.loss).toMatchObject({ sent: 10, received: 10 });
    expect(report.schedule.slots).toBe(4);
    expect(report.aborted).toBe(false);
    // Three packets share each planned time; slots are one interval apart on the planned timeline.
    expect(planned[0]).toBe(planned[2]);
    expect(planned[3]! - planned[0]!).toBeCloseTo(2e6, -1);
  });

  it('timer-only waits (precise: false) keep every slot and never send early', async () => {
    const { sender, reflector, planned, actual } = await runAgainstFixture({ schedule: { kind: 'periodic', intervalMs: 5 }, count: 8, precise: false });
    const report = await sender.done;
    reflector.close();
    expect(report.summary.loss).toMatchObject({ sent: 8, received: 8 });
    expect(report.schedule.slots).toBe(8);
    for (const [i, plannedNs] of planned.entries()) expect(actual[i]).toBeGreaterThanOrEqual(plannedNs);
  });

  it('durationMs: slots planned before the end (50 ms at 10 ms: 5 packets)', async () => {
    const { sender, reflector } = await runAgainstFixture({ schedule: { kind: 'periodic', intervalMs: 10 }, durationMs: 50 });
    const report = await sender.done;
    reflector.close();
    expect(report.summary.loss.sent).toBe(5);
    expect(report.aborted).toBe(false);
  });

  it('abort mid-run: sending stops, in-flight packets get their loss timeout, the summary is complete', async () => {
    const controller = new AbortController();
    // The reflector stops answering after sequence 4, so everything after it is still in flight at the abort.
    const { sender, reflector } = await runAgainstFixture(
      { schedule: { kind: 'periodic', intervalMs: 2 }, signal: controller.signal, lossTimeoutMs: 800 },
      (sequence) => sequence > 4,
    );
    const lost: number[] = [];
    sender.onEvent((event) => {
      if (event.type === 'lost') lost.push(event.sequence);
    });
    // Abort once the answered ones are in and a few more have gone out.
    for (let i = 0; i < 200 && reflector.lengths.length < 8; i++) await new Promise((resolve) => setTimeout(resolve, 5));
    controller.abort();
    const abortedAt = performance.now();
    const report = await sender.done;
    const waited = performance.now() - abortedAt;
    reflector.close();
    const { sent, received } = report.summary.loss;
    expect(report.aborted).toBe(true);
    expect(received).toBe(5);
    expect(sent).toBeGreaterThan(6);
    expect(report.summary.loss.lost).toBe(sent - 5);
    expect(lost).toHaveLength(sent - 5);
    // The last packet was sent just before the abort and waited out its own timeout.
    expect(waited).toBeGreaterThan(500);
    expect(waited).toBeLessThan(3000);
    expect(reflector.lengths.length).toBe(sent);
  });

  it('stop() before anything is sent ends the run at once, with nothing pending', async () => {
    const { sender, reflector } = await runAgainstFixture({ schedule: { kind: 'periodic', intervalMs: 5 } });
    sender.stop();
    const report = await sender.done;
    reflector.close();
    expect(report.aborted).toBe(true);
    expect(report.summary.loss.sent).toBe(0);
  });

  it('an already aborted signal sends nothing', async () => {
    const controller = new AbortController();
    controller.abort();
    const { sender, reflector } = await runAgainstFixture({ schedule: { kind: 'periodic', intervalMs: 5 }, signal: controller.signal });
    const report = await sender.done;
    reflector.close();
    expect(report.summary.loss.sent).toBe(0);
    expect(report.aborted).toBe(true);
  });

  it('plans on an absolute timeline: planned times are start + k × interval (+ any recorded shift)', async () => {
    const { sender, reflector, planned, actual } = await runAgainstFixture({ schedule: { kind: 'periodic', intervalMs: 1 }, count: 50 });
    const report = await sender.done;
    reflector.close();
    for (let k = 1; k < planned.length; k++) expect(planned[k]! - planned[k - 1]!).toBeGreaterThan(1e6 - 1);
    const extraNs = planned[planned.length - 1]! - planned[0]! - (planned.length - 1) * 1e6;
    expect(extraNs).toBeCloseTo(report.schedule.shiftedMs * 1e6, -1);
    // Never early by more than the clock reading's granularity.
    for (let k = 0; k < planned.length; k++) expect(actual[k]! - planned[k]!).toBeGreaterThan(-1000);
    expect(report.schedule.slots).toBe(50);
  });
});
