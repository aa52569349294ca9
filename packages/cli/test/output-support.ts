// Shared by the output tests: settings for senderJson, a scripted sender that emits events.
import type { PacketResult, SenderEvent, SenderReport, SessionSenderApi } from '@twamp/test-session';
import type { SenderJsonSettings } from '../src/output/sender-json.js';

export const JSON_SETTINGS: SenderJsonSettings = {
  count: 10,
  intervalMs: 100,
  padding: 'symmetric',
  tos: 0x88,
  ttl: null,
  dontFragment: false,
  lossTimeoutMs: 2000,
  ssid: null,
  schedule: 'periodic',
  scheduleSeed: null,
  durationS: null,
  intervalReportS: null,
  reflectorStateful: true,
  percentiles: [50, 90, 99],
  tlvs: [],
  stampSecurity: null,
};

/** A sender whose events a test emits by hand; `done` resolves with `finish(report)`. */
export interface ScriptedSender extends SessionSenderApi {
  emit(event: SenderEvent): void;
  finish(report: SenderReport): void;
  readonly epochUnixSeconds: number;
}

export function scriptedSender(): ScriptedSender {
  let handler: ((event: SenderEvent) => void) | undefined;
  let resolve: (report: SenderReport) => void = () => undefined;
  const done = new Promise<SenderReport>((r) => {
    resolve = r;
  });
  return {
    localAddress: '127.0.0.1',
    localPort: 40000,
    epochUnixSeconds: 1_790_000_000,
    events: () => ({ [Symbol.asyncIterator]: () => ({ next: () => Promise.resolve({ done: true, value: undefined }) }) }),
    onEvent: (h) => {
      handler = h;
    },
    done,
    stop: () => undefined,
    emit: (event) => handler?.(event),
    finish: (report) => {
      resolve(report);
    },
  };
}

/** A counted reply: 56 µs round trip, 30 µs out, 26 µs back, 5 µs in the reflector. */
export function packetResult(overrides: Partial<PacketResult> = {}): PacketResult {
  const senderClock = { synchronized: false, errorSeconds: 1 };
  return {
    sequence: 7,
    reflectorSequence: 6,
    t1: 1_000_000,
    t2: 1_030_000,
    t3: 1_035_000,
    t4: 1_061_000,
    sentTtl: 255,
    reflectorReceivedTtl: 255,
    replyTtl: 255,
    sentTos: 0x88,
    reflectorReceivedTos: 0x88,
    reflectorSentTos: undefined,
    replyTos: 0x88,
    senderClock,
    reflectorClock: senderClock,
    requestLength: 41,
    replyLength: 41,
    disposition: 'counted',
    rtt: 56_000,
    forward: 30_000,
    backward: 26_000,
    processing: 5_000,
    ...overrides,
  };
}
