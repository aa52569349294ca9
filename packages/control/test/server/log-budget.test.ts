// Log lines a stranger can make the server write (issue 13): the per-connection and per-session
// lines go through a budget, so a flood of connections writes a burst, then one line a second per
// event, each saying how many were left out; the counters still count everything.
import { Mode } from '@twamp/wire';
import { afterEach, describe, expect, it } from 'vitest';
import { budgetedLogger, type ControlServer, DEFAULT_LINE_BURST, LineBudget } from '../../src/server/index.js';
import type { ControlLogger } from '../../src/types.js';
import { RawClient, startServer, until } from './helpers.js';

interface Line {
  readonly level: 'info' | 'warn';
  readonly event: string;
  readonly fields: Readonly<Record<string, unknown>>;
}

function recorder(): { logger: ControlLogger; lines: Line[] } {
  const lines: Line[] = [];
  return {
    lines,
    logger: {
      info: (event, fields) => lines.push({ level: 'info', event, fields }),
      warn: (event, fields) => lines.push({ level: 'warn', event, fields }),
    },
  };
}

describe('LineBudget', () => {
  it('allows a burst, then one line per interval, and says how many it left out', () => {
    let now = 0;
    const budget = new LineBudget(3, 1000, () => now);
    expect([budget.take(), budget.take(), budget.take()]).toEqual([{}, {}, {}]);
    expect(budget.take()).toBeUndefined();
    expect(budget.take()).toBeUndefined();
    now = 999;
    expect(budget.take()).toBeUndefined();
    now = 1000;
    expect(budget.take()).toEqual({ suppressed: 3 });
    expect(budget.take()).toBeUndefined();
    // A quiet spell refills the burst, never beyond it.
    now = 60_000;
    expect([budget.take(), budget.take(), budget.take(), budget.take()]).toEqual([{ suppressed: 1 }, {}, {}, undefined]);
  });
});

describe('budgetedLogger', () => {
  it('budgets each per-connection event on its own and lets the server-wide ones through', () => {
    const { logger, lines } = recorder();
    let now = 0;
    const wrapped = budgetedLogger(logger, () => new LineBudget(2, 1000, () => now));
    for (let i = 0; i < 10; i++) wrapped?.info('connection-accepted', { i });
    for (let i = 0; i < 10; i++) wrapped?.warn('connection-closed', { i });
    for (let i = 0; i < 10; i++) wrapped?.info('server-reconfigured', { i });
    expect(lines.filter((line) => line.event === 'connection-accepted')).toHaveLength(2);
    expect(lines.filter((line) => line.event === 'connection-closed' && line.level === 'warn')).toHaveLength(2);
    expect(lines.filter((line) => line.event === 'server-reconfigured')).toHaveLength(10);
    now = 1000;
    wrapped?.info('connection-accepted', { i: 10 });
    expect(lines.at(-1)).toEqual({ level: 'info', event: 'connection-accepted', fields: { i: 10, suppressed: 8 } });
    expect(budgetedLogger(undefined)).toBeUndefined();
  });
});

describe('a connection flood and the log (issue 13)', () => {
  const servers: ControlServer[] = [];
  const clients: RawClient[] = [];
  afterEach(async () => {
    for (const raw of clients.splice(0)) raw.destroy();
    await Promise.all(servers.splice(0).map((server) => server.close()));
  });

  it('300 connections that complete the handshake and leave write a bounded number of lines; the stats count all 300', async () => {
    const { logger, lines } = recorder();
    const { server } = await startServer({ modes: Mode.Unauthenticated, logger });
    servers.push(server);
    const total = 300;
    for (let start = 0; start < total; start += 50) {
      await Promise.all(
        Array.from({ length: 50 }, async (_, index) => {
          const raw = await RawClient.connect(server.port, '127.0.0.1', `127.0.0.${2 + ((start + index) % 200)}`);
          clients.push(raw);
          await raw.handshake(Mode.Unauthenticated);
          raw.destroy();
          await raw.closed;
        }),
      );
    }
    await until(() => server.stats.connectionsActive === 0, 5000);
    expect(server.stats.connectionsTotal).toBe(total);
    const accepted = lines.filter((line) => line.event === 'connection-accepted');
    const closed = lines.filter((line) => line.event === 'connection-closed');
    // Without the budget: one line each, 300 + 300. The test runs in a few seconds: a burst and a few more.
    expect(accepted.length).toBeGreaterThanOrEqual(DEFAULT_LINE_BURST);
    expect(accepted.length).toBeLessThan(DEFAULT_LINE_BURST + 30);
    expect(closed.length).toBeLessThan(DEFAULT_LINE_BURST + 30);
  });
});
