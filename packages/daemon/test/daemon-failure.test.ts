// twampd's failure text and exit codes: config mistakes one per line (exit 2), a taken port with
// what to do (exit 1), and an error nobody typed still gets steps, never the CLI's own flags.
import { ConfigError, NetworkError, PeerRejectedError } from '@twamp/errors';
import { describe, expect, it } from 'vitest';
import { DaemonExitCode, exitCodeForFailure, formatDaemonFailure } from '../src/index.js';

describe('exitCodeForFailure', () => {
  it('is 2 for config mistakes and 1 for everything else', () => {
    expect(exitCodeForFailure(new ConfigError([{ path: 'limits.sessionsTotal', expected: 'a positive integer' }]))).toBe(DaemonExitCode.Usage);
    expect(exitCodeForFailure(new NetworkError({ operation: 'bind', systemCode: 'EADDRINUSE' }))).toBe(DaemonExitCode.Failure);
    expect(exitCodeForFailure(new Error('boom'))).toBe(DaemonExitCode.Failure);
    expect(exitCodeForFailure('a string')).toBe(DaemonExitCode.Failure);
    expect(DaemonExitCode).toEqual({ Ok: 0, Failure: 1, Usage: 2 });
  });
});

describe('formatDaemonFailure', () => {
  it('lists config mistakes one per line with their path and what is expected', () => {
    const text = formatDaemonFailure(
      new ConfigError([
        { path: 'limits.sessionsTotal', expected: 'a positive integer', received: '-1' },
        { path: 'access.control[0]', expected: 'a CIDR', received: '"10.0.0.0/33"' },
      ]),
    );
    const lines = text.split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toContain('limits.sessionsTotal: expected a positive integer, got -1');
    expect(lines[1]).toContain('access.control[0]: expected a CIDR');
  });

  it('says which port is taken and what to do', () => {
    const text = formatDaemonFailure(new NetworkError({ operation: 'bind', systemCode: 'EADDRINUSE', endpoint: '127.0.0.1:862' }));
    expect(text).toMatch(/^twampd: bind failed with EADDRINUSE \(127\.0\.0\.1:862\)/);
    expect(text).toContain('ss -lntup');
    expect(text).toContain('what to do:\n    1. another process uses this port');
  });

  it('explains a permission error for a low port', () => {
    const text = formatDaemonFailure(new NetworkError({ operation: 'bind', systemCode: 'EACCES', endpoint: '[::]:862' }));
    expect(text).toContain('CAP_NET_BIND_SERVICE');
  });

  it('keeps the Accept code advice of a typed error', () => {
    const text = formatDaemonFailure(new PeerRejectedError({ received: 4, peer: 'server', message: 'Accept-Session' }));
    expect(text).toContain('Accept 4');
    expect(text).toContain('what to do:');
  });

  it('gives an untyped error steps of its own, not the CLI\'s -d flag', () => {
    const text = formatDaemonFailure(new Error('something odd'));
    expect(text).toMatch(/^twampd: something odd\n {2}what to do:\n {4}1\. read the log lines/);
    expect(text).not.toContain('-d');
  });
});
