// The bench-only probe of the turnaround benchmark (traceTurnaround, not exported from the package):
// called once per batch in order delivered → queued → flushed, with times from the socket's clock,
// and (native socket) the T3 it sees after the flush is the one in the reply. Detached, it is not called again.
import { decodeTwampReflector, encodeTwampSender, TestSecurity, twampLayout } from '@twamp/wire';
import { afterEach, describe, expect, it } from 'vitest';
import { traceTurnaround } from '../../src/reflector/reflector.js';
import { Client, nowTimestamp, ntpNanos, openReflector, UNSYNCED } from './harness.js';

const open = twampLayout({ security: TestSecurity.Open });
const cleanup: (() => void)[] = [];
afterEach(() => {
  for (const f of cleanup.splice(0)) f();
});

const copy = (stamp: Uint32Array): { seconds: number; fraction: number } => ({ seconds: stamp[0] ?? 0, fraction: stamp[1] ?? 0 });

describe('traceTurnaround (bench probe)', () => {
  it('sees each batch delivered, queued and flushed in order, with T3 as sent', async () => {
    const reflector = await openReflector({ clock: () => UNSYNCED });
    const client = await Client.open(4, reflector.capabilities.implementation);
    cleanup.push(() => {
      client.close();
      reflector.close();
    });
    const calls: string[] = [];
    const times: { seconds: number; fraction: number }[] = [];
    let packets = 0;
    traceTurnaround(reflector, {
      delivered(batch, stamp) {
        calls.push('delivered');
        packets += batch.count;
        times.push(copy(stamp));
      },
      queued(stamp) {
        calls.push('queued');
        times.push(copy(stamp));
      },
      flushed(stamp) {
        calls.push('flushed');
        times.push(copy(stamp));
      },
    });
    const request = encodeTwampSender({ sequence: 7, timestamp: nowTimestamp(), errorEstimate: 0x3fff, padding: Buffer.alloc(27) }, open);
    const reply = await client.exchange(request, reflector);
    expect(reply).toBeDefined();
    expect(calls).toEqual(['delivered', 'queued', 'flushed']);
    expect(packets).toBe(1);
    const decoded = decodeTwampReflector(reply!.data, open);
    const base = decoded.receiveTimestamp.seconds - 1;
    const [delivered, queued, flushed] = times.map((t) => ntpNanos(t, base));
    // T2 ≤ delivery ≤ queued; on a socket that stamps on send (native), queued ≤ T3 and the flushed
    // stamp is the T3 written into the reply (the fallback stamps T3 when the reply is queued).
    expect(ntpNanos(decoded.receiveTimestamp, base)).toBeLessThanOrEqual(delivered!);
    expect(delivered!).toBeLessThanOrEqual(queued!);
    if (reflector.capabilities.stampOnSend) {
      expect(queued!).toBeLessThanOrEqual(flushed!);
      expect(times[2]).toEqual({ seconds: decoded.timestamp.seconds, fraction: decoded.timestamp.fraction });
    }

    traceTurnaround(reflector, undefined);
    expect(await client.exchange(request, reflector)).toBeDefined();
    expect(calls).toHaveLength(3);
  });
});
