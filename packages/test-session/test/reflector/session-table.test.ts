// The session table's choice of victims for fair shares, on session objects alone: sessions answered
// only once go first (oldest first), then the longest idle of the source holding the most, then the
// longest idle of all; registered sessions never; a source's own victim for its per-source cap.
import { createTwampReflectContext, TestSecurity, twampLayout } from '@twamp/wire';
import { describe, expect, it } from 'vitest';
import { ReflectorSession } from '../../src/reflector/session.js';
import { SessionTable } from '../../src/reflector/session-table.js';

const ctx = (): ReturnType<typeof createTwampReflectContext> => createTwampReflectContext({ layout: twampLayout({ security: TestSecurity.Open }) });

function session(address: string, port: number, lastSeenMs: number, registered = false): ReflectorSession {
  const s = new ReflectorSession(
    {
      key: `${address}:${port}`,
      protocol: registered ? 'twamp' : 'twamp-light',
      address,
      port,
      local: '127.0.0.1',
      ssid: 0,
      ctx: ctx(),
      crypto: undefined,
      stampKey: undefined,
      stampAuthenticated: false,
      tos: -1,
      nowMs: lastSeenMs,
      sid: registered ? new Uint8Array(16) : undefined,
    },
    -1,
  );
  return s;
}

/** Add a session that has been answered twice (a real flow). */
function addFlow(table: SessionTable, s: ReflectorSession): ReflectorSession {
  table.add(s);
  s.packets = 2;
  table.promote(s);
  return s;
}

describe('SessionTable victims', () => {
  it('sessions answered once go first, oldest first; then the heaviest source; registered sessions never', () => {
    const table = new SessionTable();
    const flowA1 = addFlow(table, session('192.0.2.1', 1000, 10));
    const flowA2 = addFlow(table, session('192.0.2.1', 1001, 20));
    addFlow(table, session('192.0.2.2', 1000, 5));
    const once1 = session('198.51.100.1', 1, 30);
    const once2 = session('198.51.100.2', 1, 40);
    table.add(once1);
    table.add(once2);
    table.add(session('192.0.2.9', 9, 0, true));
    expect(table.size).toBe(6);
    expect(table.victim()).toBe(once1);
    table.remove(once1);
    expect(table.victim()).toBe(once2);
    table.remove(once2);
    // 192.0.2.1 holds two: its longest idle goes, before 192.0.2.2's older single session.
    expect(table.victim()).toBe(flowA1);
    table.remove(flowA1);
    expect(table.heldBy('192.0.2.1')).toBe(1);
    table.recount();
    // One session per source left: the longest idle of all (192.0.2.2, seen at 5), never the registered one.
    const victim = table.victim();
    expect(victim?.address).toBe('192.0.2.2');
    table.remove(victim!);
    expect(table.victim()).toBe(flowA2);
    table.remove(flowA2);
    expect(table.victim()).toBeUndefined();
    expect(table.size).toBe(1);
  });

  it("a source's own victim: answered once before answered more, then the longest idle", () => {
    const table = new SessionTable();
    const flow = addFlow(table, session('192.0.2.1', 1000, 1));
    const once = session('192.0.2.1', 1001, 50);
    table.add(once);
    expect(table.victimOf('192.0.2.1')).toBe(once);
    table.remove(once);
    expect(table.victimOf('192.0.2.1')).toBe(flow);
    expect(table.victimOf('203.0.113.1')).toBeUndefined();
  });

  it('the longest-idle scan skips sessions seen again or gone since it ran', () => {
    const table = new SessionTable();
    const flows = Array.from({ length: 100 }, (_, i) => addFlow(table, session(`10.0.${i >> 8}.${i & 0xff}`, 1, i)));
    table.recount();
    expect(table.victim()).toBe(flows[0]);
    table.remove(flows[0]!);
    // flows[1] is forgotten and flows[3] seen again since the scan: the next victims are 2 and 4.
    table.remove(flows[1]!);
    flows[3]!.lastSeenMs = 1000;
    expect(table.victim()).toBe(flows[2]);
    table.remove(flows[2]!);
    expect(table.victim()).toBe(flows[4]);
  });
});
