import { describe, expect, it } from 'vitest';
import {
  AuthenticationError,
  AuthenticationFailure,
  ConfigError,
  describeAcceptCode,
  formatError,
  MalformedInputError,
  PeerRejectedError,
  renderError,
  ResourceLimitError,
  TimeoutError,
} from '../src/index.js';

describe('renderError', () => {
  it.each([1, 2, 3, 4, 5, 6])('a refusal with Accept %i gives that code and its remedies', (code) => {
    const rendered = renderError(new PeerRejectedError({ received: code, peer: 'server', message: 'Accept-Session' }));
    expect(rendered.accept?.code).toBe(code);
    expect(rendered.whatToDo).toEqual(describeAcceptCode(code).whatToDo);
    expect(rendered.retryable).toBe(code === 5);
  });

  it('a resource limit we hit renders as the Accept code a server would send', () => {
    const rendered = renderError(new ResourceLimitError({ limit: 'sessions', max: 1, temporary: false }));
    expect(rendered.accept?.code).toBe(4);
    expect(rendered.whatToDo[0]).toContain('fewer sessions');
  });

  it('a timeout suggests connectivity checks and is retryable', () => {
    const rendered = renderError(new TimeoutError({ waitingFor: 'Start-Ack', afterMs: 3000 }));
    expect(rendered.retryable).toBe(true);
    expect(rendered.whatToDo.join(' ')).toContain('firewall');
  });

  it.each(Object.values(AuthenticationFailure))('authentication failure %s has its own steps', (reason) => {
    const rendered = renderError(new AuthenticationError(reason, 'x'));
    expect(rendered.headline).toBe('authentication failed: x');
    expect(rendered.whatToDo.length).toBeGreaterThan(0);
  });

  it('malformed input and config errors are not retryable', () => {
    expect(renderError(new MalformedInputError({ what: 'a', field: 'b', offset: 0, reason: 'c' })).retryable).toBe(false);
    expect(renderError(new ConfigError([{ path: 'p', expected: 'e' }])).headline).toBe('invalid configuration: p: expected e');
  });

  it('anything else is still rendered', () => {
    expect(renderError(new Error('boom')).headline).toBe('boom');
    expect(renderError(42).headline).toBe('42');
  });
});

describe('formatError', () => {
  it('prints what happened, the code with its meaning, causes and numbered steps', () => {
    const text = formatError(new PeerRejectedError({ received: 5, peer: 'server', message: 'Accept-Session' }));
    const lines = text.split('\n');
    expect(lines[0]).toBe(
      'error: the server refused in Accept-Session: Accept 5 (Cannot perform request due to temporary resource limitations)',
    );
    expect(lines[1]).toBe(`  Accept 5 (${describeAcceptCode(5).name}): ${describeAcceptCode(5).meaning}`);
    expect(text).toContain('  likely causes:');
    expect(text).toContain('    1. retry after a pause');
    expect(lines.at(-1)).toBe('  retrying after 1000 ms or more may succeed');
  });

  it('omits the Accept block for errors without a code', () => {
    const text = formatError(new TimeoutError({ waitingFor: 'Server Greeting', afterMs: 10 }));
    expect(text).not.toContain('Accept');
    expect(text).toContain('what to do:');
  });
});
