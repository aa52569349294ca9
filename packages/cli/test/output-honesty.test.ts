// What a measurement reports, on real runs over loopback (the real engine, real reflectors): no JSON
// field leaks a stand-in for "unknown" (findJsonSentinels walks every value of every record), an
// unbounded clock claim is null with its flag, one host means one clock, and a STAMP run against a
// reflector without RFC 8972 says so in its JSON as in its text.
import { createSocket, type Socket } from 'node:dgram';
import { findJsonSentinels } from '@twamp/metrics';
import { SessionReflector, type SessionReflectorApi } from '@twamp/test-session';
import type { ClockStatus } from '@twamp/udp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../src/main.js';
import { testIo } from './commands-support.js';

/** A reflector clock that says what unsynchronised clocks say: S = 0, no error known (Error Estimate 0x3fff). */
const UNSYNCHRONISED: () => ClockStatus = () => ({ synchronized: false, estimatedErrorSeconds: undefined, maximumErrorSeconds: undefined, source: 'adjtimex' });

let light: SessionReflectorApi;
let silent: Socket;
let silentPort = 0;

beforeAll(async () => {
  light = await SessionReflector.open({ address: '127.0.0.1', port: 0, protocol: 'twamp-light', clock: UNSYNCHRONISED });
  // Total loss: a socket that reads and never answers (bound, so no ICMP port unreachable either).
  silent = createSocket('udp4');
  await new Promise<void>((resolve) => silent.bind(0, '127.0.0.1', resolve));
  silentPort = silent.address().port;
});

afterAll(() => {
  light.close();
  silent.close();
});

interface Run {
  readonly code: number;
  readonly out: string;
  readonly err: string;
}

async function twamp(args: readonly string[]): Promise<Run> {
  const io = testIo();
  const code = await main(args, io);
  return { code, out: io.out(), err: io.err() };
}

function records(stdout: string): Record<string, unknown>[] {
  return stdout
    .trimEnd()
    .split('\n')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

function expectNoSentinels(json: unknown): void {
  expect(findJsonSentinels(json)).toEqual([]);
}

type Clock = Record<string, unknown>;

describe('no stand-in values in any JSON the CLI writes', () => {
  it('--jsonl with interval records against an unsynchronised reflector: every packet, interval and summary field', async () => {
    const run = await twamp(['sender', `127.0.0.1:${light.localPort}`, '-c', '12', '-i', '20', '--interval-report', '0.1', '--jsonl']);
    expect(run.code, run.err).toBe(0);
    const lines = records(run.out);
    expect(new Set(lines.map((line) => line['record']))).toEqual(new Set(['packet', 'interval', 'summary']));
    for (const line of lines) expectNoSentinels(line);
    const clock = lines.at(-1)?.['clock'] as Clock;
    // It was 1095216660480000 (two largest Error Estimates, in ms).
    expect(clock).toMatchObject({ claimedErrorMs: null, claimedErrorUnbounded: true });
  });

  it('--json with total loss: lost, not made up', async () => {
    const run = await twamp(['sender', `127.0.0.1:${silentPort}`, '-c', '3', '-i', '10', '--loss-timeout', '200', '--json']);
    const json = JSON.parse(run.out) as { packets: Record<string, unknown>; clock: Clock; delayMs: { roundTrip: Record<string, unknown> } };
    expect(json.packets).toMatchObject({ sent: 3, received: 0, lost: 3 });
    expect(json.delayMs.roundTrip).toMatchObject({ count: 0, min: null });
    expect(json.clock).toMatchObject({ claimedErrorMs: null, claimedErrorUnbounded: false, offsetEstimateMs: null });
    expectNoSentinels(json);
  });

  it('--jsonl with total loss: lost records and a summary without stand-ins', async () => {
    const run = await twamp(['sender', `127.0.0.1:${silentPort}`, '-c', '2', '-i', '10', '--loss-timeout', '200', '--jsonl']);
    const lines = records(run.out);
    expect(lines.filter((line) => line['record'] === 'lost')).toHaveLength(2);
    for (const line of lines) expectNoSentinels(line);
  });

  it('demo --json: nothing leaks, and the verdict is one clock', async () => {
    const run = await twamp(['demo', '-c', '20', '-i', '1', '--json']);
    expect(run.code, run.err).toBe(0);
    const json = JSON.parse(run.out) as { clock: Clock; delayMs: { outbound: { reliable: boolean } } };
    expectNoSentinels(json);
    expect(json.clock).toMatchObject({ sharedClock: true, oneWayReliable: true, reasons: [] });
    expect(json.delayMs.outbound.reliable).toBe(true);
  });
});

describe('one host, one clock', () => {
  it('demo (text): no warning about one-way delays, the clock line says same host, same clock', async () => {
    const run = await twamp(['demo', '-c', '20', '-i', '1']);
    expect(run.code, run.err).toBe(0);
    expect(run.out).toMatch(/^clock: +sender .+\n {12}same host, same clock: one-way delays are valid$/m);
    expect(run.out).not.toContain('warning');
    expect(run.out).toMatch(/^outbound +\d/m);
  });

  it('sender to a reflector on a local address: the same verdict, whatever the reflector claims', async () => {
    const run = await twamp(['sender', `127.0.0.1:${light.localPort}`, '-c', '5', '-i', '5', '--json']);
    const json = JSON.parse(run.out) as { clock: Clock };
    expect(json.clock).toMatchObject({ sharedClock: true, oneWayReliable: true, bothSynchronized: false, claimedErrorUnbounded: true });
  });
});

describe('STAMP against a TWAMP Light reflector', () => {
  it('the text warns and the JSON carries the same counts (stampReflector)', async () => {
    const args = ['sender', `127.0.0.1:${light.localPort}`, '--stamp', '--ssid', '77', '--tlv', 'class-of-service=ef', '-c', '4', '-i', '5'];
    const text = await twamp(args);
    expect(text.code, text.err).toBe(0);
    expect(text.out).toContain(
      'warning: the reflector is not an RFC 8972 STAMP reflector (SSID 0 on 4 of 4 replies, TLVs not understood on 4 of 4 replies): a TWAMP Light or RFC 8762-only reflector; the delays stand; what the TLVs ask for is not measured.',
    );
    const json = await twamp([...args, '--json']);
    const result = JSON.parse(json.out) as Record<string, unknown>;
    expect(result['stampReflector']).toEqual({ ssidEchoed: 0, ssidZero: 4, tlvsUnderstood: 0, tlvsUnrecognized: 4, rfc8972: false });
    expect(result['tos']).toMatchObject({ outboundDscpChanged: null, outboundLast: null });
    expectNoSentinels(result);
  });

  it('against a STAMP reflector: rfc8972 true and no warning', async () => {
    const stamp = await SessionReflector.open({ address: '127.0.0.1', port: 0, protocol: 'stamp' });
    try {
      const args = ['sender', `127.0.0.1:${stamp.localPort}`, '--stamp', '--ssid', '77', '--tlv', 'class-of-service=ef', '-c', '4', '-i', '5'];
      const text = await twamp(args);
      expect(text.out).not.toContain('RFC 8972');
      const result = JSON.parse((await twamp([...args, '--json'])).out) as Record<string, unknown>;
      expect(result['stampReflector']).toEqual({ ssidEchoed: 4, ssidZero: 0, tlvsUnderstood: 4, tlvsUnrecognized: 0, rfc8972: true });
      expectNoSentinels(result);
    } finally {
      stamp.close();
    }
  });

  it('TWAMP Light runs have no stampReflector facts (null)', async () => {
    const result = JSON.parse((await twamp(['sender', `127.0.0.1:${light.localPort}`, '-c', '2', '-i', '5', '--json'])).out) as Record<string, unknown>;
    expect(result['stampReflector']).toBeNull();
  });
});
