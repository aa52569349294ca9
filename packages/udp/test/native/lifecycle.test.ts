// Ends of life with native sockets open, each in a child process (a crash is a signal there,
// not a dead test runner): a worker terminated while its sockets receive and reply, process.exit()
// inside a batch callback, and a receive handler that throws.

import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { requireNative } from './helpers.js';

const run = promisify(execFile);
const packageDir = join(import.meta.dirname, '../..');

async function child(scenario: string, ...args: string[]): Promise<Record<string, unknown>> {
  requireNative();
  const { stdout } = await run(
    process.execPath,
    ['--conditions=@twamp/source', '--import', 'tsx', 'test/native/children/lifecycle-child.ts', scenario, ...args],
    { cwd: packageDir, timeout: 30_000, maxBuffer: 1 << 20 },
  );
  const lines = stdout.trim().split('\n');
  return JSON.parse(lines[lines.length - 1] ?? '{}') as Record<string, unknown>;
}

describe('native lifecycle', () => {
  it.each(['0', '200', '2000'])(
    'a worker terminated while its sockets receive and reply (after %s packets) takes them down cleanly',
    async (threshold) => {
      const result = await child('worker', threshold);
      expect(result['scenario']).toBe('worker');
      expect(result['code']).toBe(1); // worker.terminate() resolves with 1
      // Every socket the worker opened was closed by environment teardown, and its ports bind again.
      expect(result['fdsAfter']).toBe(result['fdsBefore']);
    },
  );

  it('process.exit() inside a batch callback with sockets open exits normally', async () => {
    const result = await child('exit');
    expect(result).toEqual({ scenario: 'exit', exiting: true, open: [false, false] });
  });

  it('a throwing receive handler is an uncaught exception; queued replies go out and the socket keeps receiving', async () => {
    const result = await child('throw');
    expect(result).toEqual({ scenario: 'throw', uncaught: ['handler bug'], replies: 1, after: 5, closed: false });
  });
});
