import { describe, expect, it } from 'vitest';
import {
  AcceptCode,
  AuthenticationError,
  AuthenticationFailure,
  ConfigError,
  ErrorCode,
  isTwampError,
  MalformedInputError,
  NetworkError,
  PeerRejectedError,
  renderError,
  ResourceLimitError,
  TimeoutError,
  TwampError,
} from '../src/index.js';

describe('typed errors', () => {
  it('MalformedInputError names the message, field and offset', () => {
    const error = new MalformedInputError({ what: 'Accept-Session', field: 'SID', offset: 4, reason: 'needs 16 octets, only 3 left' });
    expect(error).toBeInstanceOf(TwampError);
    expect(error.name).toBe('MalformedInputError');
    expect(error.code).toBe(ErrorCode.MalformedInput);
    expect(error.message).toBe('Accept-Session: SID at offset 4: needs 16 octets, only 3 left');
    expect([error.what, error.field, error.offset]).toEqual(['Accept-Session', 'SID', 4]);
    expect(error.acceptCode).toBe(AcceptCode.NotSupported);
  });

  it('PeerRejectedError carries the code and who refused', () => {
    const error = new PeerRejectedError({ received: 4, peer: 'server', message: 'Accept-Session' });
    expect(error.name).toBe('PeerRejectedError');
    expect(error.code).toBe(ErrorCode.PeerRejected);
    expect(error.acceptCode).toBe(4);
    expect(error.peer).toBe('server');
    expect(error.stage).toBe('Accept-Session');
    expect(error.retryable).toBe(false);
    expect(error.message).toBe(
      'the server refused in Accept-Session: Accept 4 (Cannot perform request due to permanent resource limitations)',
    );
  });

  it('PeerRejectedError reads an unknown value as 1 and says so', () => {
    const error = new PeerRejectedError({ received: 9, peer: 'server', message: 'Server-Start' });
    expect(error.acceptCode).toBe(AcceptCode.Failure);
    expect(error.received).toBe(9);
    expect(error.message).toContain('Accept 9, read as 1');
  });

  it('PeerRejectedError with 5 is retryable', () => {
    expect(new PeerRejectedError({ received: 5, peer: 'server', message: 'Start-Ack' }).retryable).toBe(true);
  });

  it('TimeoutError says what it waited for, how long and on whom', () => {
    const error = new TimeoutError({ waitingFor: 'Server Greeting', afterMs: 5000, peer: '198.18.0.2:862' });
    expect(error.name).toBe('TimeoutError');
    expect(error.code).toBe(ErrorCode.Timeout);
    expect(error.message).toBe('timed out after 5000 ms waiting for Server Greeting from 198.18.0.2:862');
  });

  it('AuthenticationError keeps a machine-readable reason', () => {
    const error = new AuthenticationError(AuthenticationFailure.TokenMismatch, 'the Token did not decrypt to our Challenge');
    expect(error.name).toBe('AuthenticationError');
    expect(error.code).toBe(ErrorCode.Authentication);
    expect(error.reason).toBe('token-mismatch');
    expect(error.acceptCode).toBe(AcceptCode.Failure);
  });

  it('ResourceLimitError maps permanent limits to 4 and temporary ones to 5', () => {
    const permanent = new ResourceLimitError({ limit: 'sessions', max: 64, requested: 65, temporary: false });
    const temporary = new ResourceLimitError({ limit: 'packets per second', max: 1000, temporary: true });
    expect(permanent.acceptCode).toBe(AcceptCode.PermanentResourceLimitation);
    expect(temporary.acceptCode).toBe(AcceptCode.TemporaryResourceLimitation);
    expect(permanent.message).toBe('sessions limit of 64 reached (asked for 65)');
    expect(temporary.requested).toBeUndefined();
  });

  it('ConfigError lists every issue with its path and the accepted values', () => {
    const error = new ConfigError([
      { path: '--count', expected: 'an integer from 1 to 4294967295', received: '0' },
      { path: 'listeners.control.port', expected: 'a port from 1 to 65535' },
    ]);
    expect(error.name).toBe('ConfigError');
    expect(error.code).toBe(ErrorCode.Config);
    expect(error.issues).toHaveLength(2);
    expect(error.message).toBe(
      '--count: expected an integer from 1 to 4294967295, got 0; listeners.control.port: expected a port from 1 to 65535',
    );
  });

  it('every error code is distinct and prefixed', () => {
    const codes = Object.values(ErrorCode);
    expect(new Set(codes).size).toBe(codes.length);
    expect(codes.every((code) => code.startsWith('ERR_TWAMP_'))).toBe(true);
  });

  it('isTwampError tells our errors from others', () => {
    expect(isTwampError(new TimeoutError({ waitingFor: 'x', afterMs: 1 }))).toBe(true);
    expect(isTwampError(new Error('x'))).toBe(false);
    expect(isTwampError('x')).toBe(false);
  });
});

describe('NetworkError', () => {
  it('names the operation, the system code and the endpoint', () => {
    const error = new NetworkError({ operation: 'bind', systemCode: 'EADDRINUSE', endpoint: '127.0.0.1:862' });
    expect(error.name).toBe('NetworkError');
    expect(error.code).toBe(ErrorCode.Network);
    expect(error.systemCode).toBe('EADDRINUSE');
    expect(error.message).toBe('bind failed with EADDRINUSE (127.0.0.1:862)');
    expect(renderError(error).whatToDo[0]).toContain('another process uses this port');
  });

  it('falls back to general steps for codes without specific advice', () => {
    const error = new NetworkError({ operation: 'send', systemCode: 'EIO', detail: 'Input/output error' });
    expect(error.message).toBe('send failed with EIO: Input/output error');
    expect(renderError(error).whatToDo).toEqual(['check the addresses, ports and permissions involved']);
  });
});
