// Exit codes of the real executable: usage errors (2, before anything starts) and Ctrl-C (130, with
// the partial summary).
import { describe, expect, it } from 'vitest';
import { runTwamp, startResponder, startTwamp } from './support.js';

describe('twamp exit codes', () => {
  it('exits 2 on a usage error, naming the argument and its range', async () => {
    const { code, stdout, stderr } = await runTwamp(['sender', '127.0.0.1:862', '--count', '0']);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toContain('error: invalid configuration: --count: expected an integer from 1 to 4294967295 packets, got "0"');
    expect(stderr).toContain("usage: see 'twamp sender --help'");
  });

  it('stops on SIGINT, prints the partial summary and exits 130', async () => {
    const { responder, port } = await startResponder('127.0.0.1');
    try {
      const sender = startTwamp(['sender', `127.0.0.1:${port}`, '-c', '100000', '-i', '5', '--loss-timeout', '200']);
      await sender.waitFor('stderr', /Ctrl-C stops/);
      // Let a few packets go out before interrupting.
      await new Promise((resolve) => setTimeout(resolve, 300));
      sender.child.kill('SIGINT');
      expect(await sender.exited()).toBe(130);
      expect(sender.stdout()).toMatch(/: (\d+) sent, \1 received in .+ \(interrupted: partial summary\)/);
      expect(sender.stdout()).toMatch(/^round trip +\d+\.\d{3}/m);
    } finally {
      responder.child.kill('SIGINT');
      await responder.exited();
    }
  });
});
