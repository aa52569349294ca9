// A STAMP run says what the replies told about the reflector: a TWAMP Light reflector answers STAMP
// packets but returns SSID 0 and leaves our TLVs unrecognised; an RFC 8972 reflector echoes both.
import { SENDER_TLV_FLAGS } from '@twamp/wire';
import { describe, expect, it } from 'vitest';
import { SessionReflector, SessionSender, type SessionSenderReport } from '../../src/index.js';

async function stampRun(reflectorProtocol: 'twamp-light' | 'stamp', withTlv: boolean): Promise<SessionSenderReport> {
  const reflector = await SessionReflector.open({ address: '127.0.0.1', port: 0, protocol: reflectorProtocol });
  try {
    const sender = await SessionSender.open({
      target: { address: '127.0.0.1', port: reflector.localPort },
      protocol: 'stamp',
      ssid: 0x1234,
      schedule: { kind: 'periodic', intervalMs: 1 },
      count: 4,
      lossTimeoutMs: 500,
      ...(withTlv ? { tlvs: [{ kind: 'class-of-service', flags: SENDER_TLV_FLAGS, dscp1: 46, dscp2: 0, ecn: 0, rp: 0 }] } : {}),
    });
    return await sender.done;
  } finally {
    reflector.close();
  }
}

describe('SessionSenderReport.stampReflector', () => {
  it('a TWAMP Light reflector: SSID 0 and TLVs unrecognised on every reply', async () => {
    const report = await stampRun('twamp-light', true);
    expect(report.summary.loss.received).toBe(4);
    expect(report.stampReflector).toEqual({ ssidEchoed: 0, ssidZero: 4, tlvsUnderstood: 0, tlvsUnrecognized: 4 });
  });

  it('an RFC 8972 reflector: SSID and TLVs echoed', async () => {
    const report = await stampRun('stamp', true);
    expect(report.stampReflector).toEqual({ ssidEchoed: 4, ssidZero: 0, tlvsUnderstood: 4, tlvsUnrecognized: 0 });
  });

  it('no TLVs sent: only the SSID is checked', async () => {
    expect((await stampRun('twamp-light', false)).stampReflector).toEqual({ ssidEchoed: 0, ssidZero: 4, tlvsUnderstood: 0, tlvsUnrecognized: 0 });
  });
});
