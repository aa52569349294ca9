// Opening and closing 10 000 sockets leaks no descriptor and grows no memory beyond a small bound.
// Measured in a child `node --expose-gc` (see churn-child.ts) so a forced GC makes heap numbers
// mean something; the bounds are generous on purpose: a leak of one buffer per socket is
// 10 000 buffers, far beyond them.

import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';
import { describeEachImplementation } from '../support/implementations.js';

const run = promisify(execFile);
const SOCKETS = 10_000;
const MiB = 1 << 20;

interface Sample {
  readonly fds: number;
  readonly heapUsed: number;
  readonly external: number;
  readonly rss: number;
}

describeEachImplementation((_scope, implementation) => {
  it(`opens and closes ${SOCKETS} sockets without leaking descriptors or memory`, async () => {
    const packageDir = join(import.meta.dirname, '../..');
    const { stdout } = await run(
      process.execPath,
      ['--expose-gc', '--conditions=@twamp/source', '--import', 'tsx', 'test/robustness/churn-child.ts', implementation, String(SOCKETS)],
      { cwd: packageDir, timeout: 170_000, maxBuffer: 1 << 20 },
    );
    const lines = stdout.trim().split('\n');
    const result = JSON.parse(lines[lines.length - 1] ?? '{}') as { received: number; before: Sample; after: Sample };
    console.log(`${implementation} churn: ${JSON.stringify(result)}`);
    expect(result.received).toBe(SOCKETS / 100);
    expect(result.after.fds).toBe(result.before.fds);
    expect(result.after.heapUsed - result.before.heapUsed).toBeLessThan(4 * MiB);
    expect(result.after.external - result.before.external).toBeLessThan(4 * MiB);
    expect(result.after.rss - result.before.rss).toBeLessThan(64 * MiB);
  }, 180_000);
});
