// What twampd's agent records report, on real targets over loopback: no field of any JSON Lines record
// leaks a stand-in for "unknown" (findJsonSentinels walks every value), an unbounded clock claim is
// null with its flag, and a target on this host is measured against one clock.
import { createSocket, type Socket } from 'node:dgram';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findJsonSentinels } from '@twamp/metrics';
import { SessionReflector, type SessionReflectorApi } from '@twamp/test-session';
import type { ClockStatus } from '@twamp/udp';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Agent, openJsonlSink } from '../src/agent/index.js';
import { agentConfig, closedPort, recordingLog, RecordingObserver, target, waitFor } from './agent-support.js';

/** What an unsynchronised clock says: S = 0 and no error known (the reflector sends Error Estimate 0x3fff). */
const UNSYNCHRONISED: () => ClockStatus = () => ({ synchronized: false, estimatedErrorSeconds: undefined, maximumErrorSeconds: undefined, source: 'adjtimex' });

let dir = '';
let reflector: SessionReflectorApi | undefined;
let silent: Socket | undefined;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'twampd-agent-honesty-'));
});
afterEach(async () => {
  reflector?.close();
  silent?.close();
  reflector = undefined;
  silent = undefined;
  await rm(dir, { recursive: true, force: true });
});


describe('agent JSON Lines: honest values only', () => {
  it('window, state and failure records of a local reflector, a STAMP run against it, total loss and a refused server', async () => {
    const light = await SessionReflector.open({ address: '127.0.0.1', port: 0, protocol: 'twamp-light', clock: UNSYNCHRONISED });
    reflector = light;
    const quiet = createSocket('udp4');
    silent = quiet;
    await new Promise<void>((resolve) => quiet.bind(0, '127.0.0.1', resolve));
    const path = join(dir, 'records.jsonl');
    const sink = openJsonlSink(path);
    const observer = new RecordingObserver();
    const agent = new Agent(
      agentConfig([
        target({ name: 'light', port: light.localPort, windowMs: 300 }),
        target({ name: 'stamp-at-light', protocol: 'stamp', ssid: 77, port: light.localPort, windowMs: 300 }),
        target({ name: 'silent', port: quiet.address().port, windowMs: 300, lossTimeoutMs: 100 }),
        target({ name: 'refused', protocol: 'twamp', port: await closedPort() }),
      ]),
      { log: recordingLog(), keys: undefined, observers: [sink, observer] },
    );
    agent.start();
    await waitFor('windows with replies and losses, and a failure', () => {
      const withReplies = (name: string): boolean => observer.windowsOf(name).some((w) => w.summary.loss.received > 0);
      return withReplies('light') && withReplies('stamp-at-light') && observer.windowsOf('silent').some((w) => w.summary.loss.lost > 0) && observer.failuresOf('refused').length > 0;
    });
    await agent.stop(3000);
    await sink.close();

    const records = (await readFile(path, 'utf8'))
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(new Set(records.map((r) => r['record']))).toEqual(new Set(['window', 'state', 'failure']));
    for (const record of records) expect(findJsonSentinels(record), JSON.stringify(record)).toEqual([]);

    const measured = records.filter((r) => r['record'] === 'window' && r['target'] === 'light' && (r['packets'] as { received: number }).received > 0);
    expect(measured.length).toBeGreaterThan(0);
    for (const window of measured) {
      // The reflector's 0x3fff was 1095216660480000 ms; the verdict is one clock: the target is on this host.
      expect(window['clock']).toMatchObject({ claimedErrorMs: null, claimedErrorUnbounded: true, sharedClock: true, oneWayReliable: true, reasons: [] });
      expect((window['delayMs'] as { outbound: { reliable: boolean } }).outbound.reliable).toBe(true);
    }
    const lossOnly = records.find((r) => r['record'] === 'window' && r['target'] === 'silent' && (r['packets'] as { lost: number }).lost > 0) ?? {};
    expect(lossOnly['clock']).toMatchObject({ claimedErrorMs: null, claimedErrorUnbounded: false, oneWayReliable: false });
  });
});
