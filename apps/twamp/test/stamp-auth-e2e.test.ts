// End to end with the real executable: `twamp responder --stamp --auth` and `twamp sender --stamp
// --auth` as separate processes over 127.0.0.1 and ::1, a perfSONAR key file in a temporary
// directory. The right key answers every packet; a wrong key gets no reply (exit 4, with the hint)
// and the responder's stop line counts every request as bad-hmac; --auth without --stamp is a usage
// error (exit 2) naming the option.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runTwamp, startResponder } from './support.js';

const dir = mkdtempSync(join(tmpdir(), 'twamp-stamp-auth-e2e-'));
const keyFile = join(dir, 'keys.pfs');
const wrongKeyFile = join(dir, 'wrong.pfs');
writeFileSync(keyFile, `# test keys\nalice\t${Buffer.from('stamp e2e secret', 'utf8').toString('hex')}\n`);
writeFileSync(wrongKeyFile, `alice\t${Buffer.from('another secret', 'utf8').toString('hex')}\n`);

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

interface SenderJsonShape {
  protocol: string;
  settings: { stampSecurity: string | null };
  packets: { sent: number; received: number; lost: number };
}

const RUN = ['-c', '20', '-i', '10', '--loss-timeout', '1500', '--json'];

describe.concurrent.each([
  ['IPv4', '127.0.0.1'],
  ['IPv6', '::1'],
] as const)('STAMP authenticated over %s', (_family, address) => {
  it('the right key: every packet answered; a wrong key: none, each counted as bad-hmac', async () => {
    const { responder, port } = await startResponder(address, ['--stamp', '--auth', '--user', 'alice', '--key-file', keyFile]);
    const remote = address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
    try {
      // The listening line is a status line: stderr.
      expect(responder.stderr()).toContain('authenticated (key alice)');
      const good = await runTwamp(['sender', remote, '--stamp', '--auth', '--user', 'alice', '--key-file', keyFile, ...RUN]);
      expect(good.code, good.stderr).toBe(0);
      const json = JSON.parse(good.stdout) as SenderJsonShape;
      expect(json.protocol).toBe('stamp');
      expect(json.settings.stampSecurity).toBe('authenticated');
      expect(json.packets).toMatchObject({ sent: 20, received: 20, lost: 0 });

      const wrong = await runTwamp(['sender', remote, '--stamp', '--auth', '--user', 'alice', '--key-file', wrongKeyFile, ...RUN]);
      expect(wrong.code).toBe(4);
      expect((JSON.parse(wrong.stdout) as SenderJsonShape).packets).toMatchObject({ sent: 20, received: 0, lost: 20 });
      expect(wrong.stderr).toContain('drops every request without answering');
    } finally {
      responder.child.kill('SIGTERM');
      expect(await responder.exited()).toBe(0);
    }
    // 40 in, the 20 right ones out, the 20 with the wrong key dropped.
    expect(responder.stdout()).toMatch(/40 packets in, 20 out, .*dropped: 20 bad-hmac/);
  }, 90_000);
});

describe('usage errors', () => {
  it('--auth without --stamp exits 2 naming --auth', async () => {
    const { code, stderr } = await runTwamp(['sender', '127.0.0.1:1', '--auth', '--user', 'alice', '--key-file', keyFile]);
    expect(code).toBe(2);
    expect(stderr).toContain('--auth');
    expect(stderr).toContain('--stamp');
  }, 60_000);
});
