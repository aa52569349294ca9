import { ConfigError, NetworkError } from '@twamp/errors';
import { describe, expect, it } from 'vitest';
import { toNetworkError } from '../../src/dgram/errors.js';

function errnoException(code: string, errno: number): NodeJS.ErrnoException {
  const error: NodeJS.ErrnoException = new Error(`bind ${code} 0.0.0.0:80`);
  error.code = code;
  error.errno = errno;
  error.syscall = 'bind';
  return error;
}

describe('node:dgram errors become NetworkErrors', () => {
  it.each([
    { code: 'EACCES', errno: -13, words: /permission denied/i },
    { code: 'EADDRINUSE', errno: -98, words: /address already in use/i },
    { code: 'EMSGSIZE', errno: -90, words: /message too long/i },
    { code: 'ECONNREFUSED', errno: -111, words: /connection refused/i },
  ])('$code keeps its system code and the system words', ({ code, errno, words }) => {
    const mapped = toNetworkError(errnoException(code, errno), 'bind', '0.0.0.0:80');
    expect(mapped).toBeInstanceOf(NetworkError);
    expect(mapped).toMatchObject({ operation: 'bind', systemCode: code, endpoint: '0.0.0.0:80' });
    expect(mapped.message).toMatch(words);
  });

  it('unwraps the system error dgram puts in `info` (ERR_SOCKET_BUFFER_SIZE)', () => {
    const error = Object.assign(new Error('Could not get or set buffer size'), {
      code: 'ERR_SOCKET_BUFFER_SIZE',
      info: { code: 'EINVAL', errno: -22, message: 'invalid argument' },
    });
    expect(toNetworkError(error, 'setsockopt SO_RCVBUF')).toMatchObject({ systemCode: 'EINVAL', operation: 'setsockopt SO_RCVBUF' });
  });

  it('names an error without a system code EUNKNOWN and keeps its message', () => {
    const mapped = toNetworkError(new Error('something odd'), 'send');
    expect(mapped).toMatchObject({ systemCode: 'EUNKNOWN', endpoint: undefined });
    expect(mapped.message).toContain('something odd');
    expect(toNetworkError('a string', 'send')).toBeInstanceOf(NetworkError);
  });

  it('passes typed errors through', () => {
    const config = new ConfigError([{ path: 'ttl', expected: '1-255' }]);
    expect(toNetworkError(config, 'send')).toBe(config);
  });
});
