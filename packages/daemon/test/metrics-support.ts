// Shared by the metrics tests: ListenersSnapshots as the listeners give them, a scrape read as
// samples, and \`promtool check metrics\` (skipped where promtool is missing, unless CI requires it).
import { CONNECTION_REFUSAL_REASONS, SESSION_REFUSAL_REASONS, zeroCounts } from '@twamp/control';
import { AcceptCode } from '@twamp/errors';
import { REFLECTOR_DROP_REASONS, type ReflectorDropReason, type ReflectorStats } from '@twamp/test-session';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { ListenersSnapshot } from '../src/types.js';

export function reflectorStats(packetsIn: number, dropped: Partial<Record<ReflectorDropReason, number>> = {}, sessionsActive = 1): ReflectorStats {
  const all = Object.fromEntries(REFLECTOR_DROP_REASONS.map((reason) => [reason, dropped[reason] ?? 0])) as Record<ReflectorDropReason, number>;
  return { packetsIn, packetsOut: packetsIn - Object.values(all).reduce((a, b) => a + b, 0), dropped: all, sessionsActive, sessionsCreated: sessionsActive, sessionsExpired: 0, sessionsEvicted: 0 };
}

export function snapshot(packetsIn: number, connectionsTotal = 3): ListenersSnapshot {
  return {
    control: {
      name: 'control',
      address: '127.0.0.1',
      port: 862,
      server: {
        connectionsActive: 1,
        connectionsTotal,
        connectionsRefused: 1,
        sessionsActive: 2,
        acceptsSent: { [AcceptCode.Ok]: 4, [AcceptCode.TemporaryResourceLimitation]: 2 },
        timeouts: { handshake: 1, servwait: 0, message: 0, idle: 0 },
        authFailures: 0,
        authBackoffRefusals: 0,
        connectionsEvicted: 0,
        sessionsReleasedUnstarted: 0,
        connectionsRefusedByReason: { ...zeroCounts(CONNECTION_REFUSAL_REASONS), 'not-allowed': 1 },
        sessionsRefusedByReason: { ...zeroCounts(SESSION_REFUSAL_REASONS), rate: 2 },
      },
      pool: { reflectorsOpen: 2, sessionsOpened: 4, sessionsRunning: 2, refused: { 2: 0, 4: 0, 5: 2 }, packetsReflected: 10, reflectors: reflectorStats(10) },
      reflectors: reflectorStats(10),
    },
    reflectors: [{ name: 'light', protocol: 'twamp-light', address: '127.0.0.1', port: 8620, stats: reflectorStats(packetsIn, { 'too-short': 2 }) }],
  };
}

/** `name{labels} value` lines of a scrape, as a map from the part before the value. */
export function samples(text: string): Map<string, number> {
  const map = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    map.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return map;
}

const PROMTOOL = '/usr/bin/promtool';
export const promtoolMissing = !existsSync(PROMTOOL) && process.env['TWAMP_REQUIRE_PROMTOOL'] !== '1';

/** `promtool check metrics` on the text: its exit code and what it printed. */
export function promtoolCheck(text: string): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    const child = execFile(PROMTOOL, ['check', 'metrics'], { timeout: 30_000 }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
      resolve({ code, output: `${stdout}${stderr}` });
    });
    child.stdin?.end(text);
  });
}

