// The per-client failure counter and its backoff, with an injected clock; and the key deriver
// that keeps PBKDF2 off the event loop.
import { deriveKey } from '@twamp/wire';
import { describe, expect, it } from 'vitest';
import { AUTH_BACKOFF_MAX_MS, AuthBackoff, authClientKey } from '../../src/server/auth-backoff.js';
import { KeyDeriver } from '../../src/server/key-derivation.js';

describe('AuthBackoff', () => {
  it('backs a client off at the limit, 1 s first, doubling with each further failure up to 5 min', () => {
    const backoff = new AuthBackoff(3);
    expect(backoff.failure('192.0.2.1', 0)).toBe(0);
    expect(backoff.failure('192.0.2.1', 10)).toBe(0);
    expect(backoff.remaining('192.0.2.1', 10)).toBe(0);
    expect(backoff.failure('192.0.2.1', 20)).toBe(1_000);
    expect(backoff.remaining('192.0.2.1', 520)).toBe(500);
    expect(backoff.remaining('192.0.2.9', 520)).toBe(0);
    expect(backoff.remaining('192.0.2.1', 1_020)).toBe(0);
    // Still within the minute: the next failure backs off again, twice as long.
    expect(backoff.failure('192.0.2.1', 1_100)).toBe(2_000);
    // A guesser that tries again whenever let in: the backoff keeps growing (a new minute gives
    // it `limit` tries again, then twice the last backoff), and stops at 5 min.
    let last = 2_000;
    let now = 1_100;
    const seen: number[] = [];
    let wait = last;
    for (let tries = 0; tries < 200 && last < AUTH_BACKOFF_MAX_MS; tries += 1) {
      now += wait;
      const started = backoff.failure('192.0.2.1', now);
      if (started > 0) {
        seen.push(started);
        last = started;
      }
      wait = started > 0 ? started : 1;
    }
    expect(seen.slice(0, 4)).toEqual([4_000, 8_000, 16_000, 32_000]);
    expect(last).toBe(AUTH_BACKOFF_MAX_MS);
    // From then on: `limit` tries, then 5 min again.
    expect(backoff.failure('192.0.2.1', now + last)).toBe(0);
    expect(backoff.failure('192.0.2.1', now + last + 1)).toBe(0);
    expect(backoff.failure('192.0.2.1', now + last + 2)).toBe(AUTH_BACKOFF_MAX_MS);
  });

  it('a success or five quiet minutes start the client again from a clean slate', () => {
    const backoff = new AuthBackoff(2);
    backoff.failure('192.0.2.1', 0);
    expect(backoff.failure('192.0.2.1', 0)).toBe(1_000);
    backoff.success('192.0.2.1');
    expect(backoff.remaining('192.0.2.1', 1)).toBe(0);
    expect(backoff.failure('192.0.2.1', 2)).toBe(0);
    expect(backoff.failure('192.0.2.1', 3)).toBe(1_000);
    const later = 3 + AUTH_BACKOFF_MAX_MS;
    expect(backoff.failure('192.0.2.1', later)).toBe(0);
  });

  it('failures more than a minute apart never reach the limit; Infinity never backs off', () => {
    const backoff = new AuthBackoff(2);
    for (let minute = 0; minute < 10; minute += 1) expect(backoff.failure('192.0.2.1', minute * 61_000)).toBe(0);
    const off = new AuthBackoff(Number.POSITIVE_INFINITY);
    for (let index = 0; index < 100; index += 1) expect(off.failure('192.0.2.1', index)).toBe(0);
    expect(off.size).toBe(0);
  });

  it('an IPv6 client counts under its /64', () => {
    expect(authClientKey('2001:db8:1:2::1')).toBe(authClientKey('2001:db8:1:2:ffff::9'));
    expect(authClientKey('2001:db8:1:3::1')).not.toBe(authClientKey('2001:db8:1:2::1'));
    expect(authClientKey('192.0.2.1')).toBe('192.0.2.1');
    const backoff = new AuthBackoff(2);
    backoff.failure('2001:db8::1', 0);
    expect(backoff.failure('2001:db8::2', 0)).toBe(1_000);
    expect(backoff.remaining('2001:db8::3', 1)).toBe(999);
  });
});

describe('KeyDeriver', () => {
  it('derives what @twamp/wire derives, at most `concurrency` at once, skipping jobs no longer wanted', async () => {
    const deriver = new KeyDeriver(1);
    const salt = Buffer.alloc(16, 3);
    const secret = Buffer.from('secret');
    const results: (Uint8Array | Error)[] = [];
    const done = new Promise<void>((resolve) => {
      const job = (wanted: boolean) => ({
        secret,
        salt,
        count: 1024,
        wanted: () => wanted,
        done: (key: Uint8Array | Error): void => {
          results.push(key);
          if (results.length === 2) resolve();
        },
      });
      deriver.derive(job(true));
      deriver.derive(job(false));
      deriver.derive(job(true));
    });
    // One running, two waiting: the cap holds.
    expect(deriver.pending).toBe(3);
    await done;
    expect(results).toEqual([deriveKey(secret, salt, 1024), deriveKey(secret, salt, 1024)]);
    expect(deriver.pending).toBe(0);
  });
});
