// Failure rendering, case by case: what happened, which side said it, the Accept code with its name
// and meaning (taken from @twamp/errors, never restated here), what to do, and the exit code.
import {
  AcceptCode,
  AuthenticationError,
  AuthenticationFailure,
  ConfigError,
  describeAcceptCode,
  MalformedInputError,
  NetworkError,
  PeerRejectedError,
  ResourceLimitError,
  TimeoutError,
} from '@twamp/errors';
import { describe, expect, it } from 'vitest';
import { EXIT_CODE_HELP } from '../src/commands/help.js';
import { ControlExitCode, formatControlFailure } from '../src/control/failures.js';
import { EXIT_CODES, explainFailure, failureJson, formatFailure, reportFailure } from '../src/errors/index.js';
import { ExitCode } from '../src/io.js';

const SERVER = '192.0.2.10:862';

function lines(text: string): string[] {
  return text.split('\n');
}

describe('exit codes', () => {
  it('lists every code the commands use, once, in order', () => {
    const codes = EXIT_CODES.map((info) => info.code);
    expect(codes).toEqual([...codes].sort((a, b) => a - b));
    expect(new Set(codes).size).toBe(codes.length);
    for (const code of [...Object.values(ExitCode), ...Object.values(ControlExitCode)]) expect(codes).toContain(code);
    expect(codes).toEqual([0, 1, 2, 3, 4, 130, 143]);
    // --help lists the same codes (its own short wording).
    expect(Object.keys(EXIT_CODE_HELP).map(Number)).toEqual(codes);
  });

  it('maps each kind of error to its exit code', () => {
    expect(reportFailure(new ConfigError([{ path: '--count', expected: 'a number' }])).exitCode).toBe(2);
    expect(reportFailure(new PeerRejectedError({ received: 4, peer: 'server', message: 'Accept-Session' })).exitCode).toBe(3);
    expect(reportFailure(new AuthenticationError(AuthenticationFailure.NoAcceptableMode, 'x')).exitCode).toBe(3);
    expect(reportFailure(new TimeoutError({ waitingFor: 'Server Greeting', afterMs: 5 })).exitCode).toBe(4);
    expect(reportFailure(new NetworkError({ operation: 'connect', systemCode: 'EHOSTUNREACH', endpoint: SERVER })).exitCode).toBe(4);
    expect(reportFailure(new NetworkError({ operation: 'connect', systemCode: 'ECONNREFUSED', endpoint: SERVER })).exitCode).toBe(1);
    expect(reportFailure(new NetworkError({ operation: 'bind', systemCode: 'EADDRINUSE', endpoint: '0.0.0.0:862' })).exitCode).toBe(1);
    expect(reportFailure(new Error('boom')).exitCode).toBe(1);
    expect(reportFailure('a string').exitCode).toBe(1);
  });
});

describe('failure rendering', () => {
  it('nothing listening: the host refused, Accept 1\'s connectivity checks, exit 1', () => {
    const error = new NetworkError({ operation: 'connect', systemCode: 'ECONNREFUSED', endpoint: SERVER, detail: `connect ECONNREFUSED ${SERVER}` });
    const { text, failure } = reportFailure(error, { controlPort: 862 });
    const failureInfo = describeAcceptCode(AcceptCode.Failure);
    expect(lines(text)[0]).toBe(`error: connect failed with ECONNREFUSED (${SERVER})`);
    expect(failure.side.kind).toBe('network');
    expect(text).toContain(`said by: the host at ${SERVER}: its TCP stack refused or reset the connection (nothing listens there)`);
    expect(text).toContain(`Accept code: none received; nearest: Accept 1 (${failureInfo.name})`);
    expect(text).toContain('no TWAMP-Control server accepted a TCP connection on port 862');
    for (const step of failureInfo.whatToDo) expect(text).toContain(step);
    expect(text).toContain('ss -tlnp');
    expect(text).toContain('exit code: 1 (failure)');
  });

  it('wrong key: the server said Accept 1 in Server-Start; the key comes first in what to do', () => {
    const error = new PeerRejectedError({ received: 1, peer: 'server', message: 'Server-Start' });
    const { text, failure } = reportFailure(error, { controlPort: 862, server: SERVER });
    const info = describeAcceptCode(1);
    expect(lines(text)[0]).toBe(`error: the TWAMP server at ${SERVER} refused in Server-Start: Accept 1 (${info.name})`);
    expect(text).toContain(`said by: the TWAMP server at ${SERVER}, in its Server-Start`);
    expect(text).toContain(`Accept 1 (${info.name}): ${info.meaning}`);
    expect(text).toContain('could not verify our token');
    expect(failure.whatToDo[0]).toContain('shared secret');
    expect(new Set(failure.whatToDo)).toEqual(new Set(info.whatToDo));
    for (const cause of info.likelyCauses) expect(text).toContain(cause);
    expect(text).toContain('exit code: 3 (refused by the peer)');
    expect(text).not.toContain('retry:');
  });

  it('names the server by its control port when its address is unknown', () => {
    const { text } = reportFailure(new PeerRejectedError({ received: 3, peer: 'server', message: 'Accept-Session' }), { controlPort: 4862 });
    expect(text).toContain('said by: the TWAMP server on TCP port 4862, in its Accept-Session');
    expect(text).toContain(`Accept 3 (${describeAcceptCode(3).name})`);
  });

  it('authentication required: no mode both sides allow, Accept 3\'s meaning, how to give a key', () => {
    const error = new AuthenticationError(AuthenticationFailure.NoAcceptableMode, 'the server offers authenticated, encrypted; we allow unauthenticated');
    const { text, failure } = reportFailure(error, { controlPort: 862, server: SERVER });
    expect(lines(text)[0]).toBe('error: no security mode both sides allow: the server offers authenticated, encrypted; we allow unauthenticated');
    expect(failure.side.kind).toBe('local');
    expect(text).toContain(`said by: this client, after reading the Server Greeting of the TWAMP server at ${SERVER}`);
    expect(failure.accept).toMatchObject({ relation: 'equivalent', info: { code: 3 } });
    expect(text).toContain(`nearest: Accept 3 (${describeAcceptCode(3).name})`);
    expect(failure.whatToDo[0]).toContain('the server requires authentication: give the key identity with --user');
    expect(text).toContain('allow a mode the peer offers');
    expect(failure.exitCode).toBe(3);
  });

  it('refused mode: the server offers only open mode', () => {
    const error = new AuthenticationError(AuthenticationFailure.NoAcceptableMode, 'the server offers unauthenticated; we allow encrypted');
    const { failure } = reportFailure(error);
    expect(failure.whatToDo[0]).toContain('the server offers only open (unauthenticated) mode: use --mode open');
  });

  it('session limit: Accept 4 with its causes, no retry', () => {
    const { text, failure } = reportFailure(new PeerRejectedError({ received: 4, peer: 'server', message: 'Accept-Session' }), { server: SERVER });
    const info = describeAcceptCode(4);
    expect(lines(text)[0]).toBe(`error: the TWAMP server at ${SERVER} refused in Accept-Session: Accept 4 (${info.name})`);
    for (const cause of info.likelyCauses) expect(text).toContain(cause);
    expect(failure.whatToDo).toEqual(info.whatToDo);
    expect(failure.retryAfterMs).toBeUndefined();
    expect(failure.exitCode).toBe(3);
  });

  it('overload: Accept 5 with a retry hint', () => {
    const { text, failure } = reportFailure(new PeerRejectedError({ received: 5, peer: 'server', message: 'Accept-Session' }), { server: SERVER });
    const info = describeAcceptCode(5);
    expect(text).toContain(`Accept 5 (${info.name}): ${info.meaning}`);
    expect(failure.retryAfterMs).toBe(info.retryAfterMs);
    expect(text).toContain('retry: the same request may succeed later; wait 1 s or more, and double the wait after each new refusal');
  });

  it('an unknown Accept value is read as 1 and says so', () => {
    const { text, failure } = reportFailure(new PeerRejectedError({ received: 200, peer: 'server', message: 'Start-Ack' }));
    expect(text).toContain('Accept 200, read as 1');
    expect(text).toContain('Accept 200 (read as 1)');
    expect(failure.accept).toMatchObject({ relation: 'received', received: 200, info: { code: 1 } });
  });

  it('Modes 0 in the greeting: the server will not serve this host', () => {
    const error = new PeerRejectedError({ received: 1, peer: 'server', message: 'Server Greeting (Modes 0: the server refuses service to this client)' });
    expect(reportFailure(error).text).toContain('access list');
  });

  it('bad arguments: twamp itself, the option and its range, no Accept line at all, exit 2', () => {
    const error = new ConfigError([{ path: '--count', expected: 'an integer from 1 to 4294967295 packets', received: '"0"' }]);
    const { text, failure } = reportFailure(error, { command: 'sender' });
    expect(lines(text)[0]).toBe('error: invalid configuration: --count: expected an integer from 1 to 4294967295 packets, got "0"');
    expect(text).toContain('said by: twamp itself, checking the command line');
    // A usage error involves no control exchange, so no Accept code, not even "none" (in any command).
    expect(text).not.toContain('Accept');
    expect(reportFailure(error, { command: 'controller', controlPort: 862 }).text).not.toContain('Accept');
    expect(failure.noAccept).toBeUndefined();
    expect(failure.exitCode).toBe(2);
    expect(text).toContain('exit code: 2 (usage error)');
  });

  it('a timeout: no answer from the peer or the network, exit 4', () => {
    const { text, failure } = reportFailure(new TimeoutError({ waitingFor: 'Server Greeting', afterMs: 3000, peer: SERVER }), { command: 'controller', controlPort: 862 });
    expect(lines(text)[0]).toBe(`error: timed out after 3000 ms waiting for Server Greeting from ${SERVER}`);
    expect(failure.side.kind).toBe('network');
    expect(text).toContain(`said by: no answer from ${SERVER}`);
    expect(text).toContain('Accept code: none: nothing came back to carry one');
    expect(failure.exitCode).toBe(4);
  });

  it('no route: the network, Accept 1\'s checks on a control connection, exit 4', () => {
    const { text, failure } = reportFailure(new NetworkError({ operation: 'connect', systemCode: 'ENETUNREACH', endpoint: SERVER }));
    expect(failure.side.kind).toBe('network');
    expect(text).toContain(`said by: the network: ${SERVER} cannot be reached from this host`);
    expect(failure.accept?.relation).toBe('equivalent');
    expect(failure.exitCode).toBe(4);
  });

  it('the server closing the connection is the server\'s doing', () => {
    const error = new NetworkError({ operation: 'receive', systemCode: 'EOF', endpoint: SERVER, detail: 'the server closed the connection while we waited for Server-Start' });
    const { failure } = reportFailure(error);
    expect(failure.side).toEqual({ kind: 'server', label: `the TWAMP server at ${SERVER}: it closed the control connection` });
  });

  it('local socket errors name our own side by the command', () => {
    const inUse = new NetworkError({ operation: 'bind', systemCode: 'EADDRINUSE', endpoint: '0.0.0.0:862' });
    expect(explainFailure(inUse, { command: 'responder' }).side.kind).toBe('reflector');
    expect(explainFailure(inUse, { command: 'responder' }).side.label).toContain('our reflector (twamp responder, on this host)');
    expect(explainFailure(inUse, { command: 'server' }).side.label).toContain('our TWAMP server');
    const sender = explainFailure(inUse, { command: 'sender' });
    expect(sender.side.kind).toBe('local');
    expect(formatFailure(sender)).toContain('pick another port');
    // A local socket is no control exchange: no Accept line.
    expect(formatFailure(sender)).not.toContain('Accept');
    expect(formatFailure(explainFailure(inUse, { command: 'server', controlPort: 862 }))).not.toContain('Accept');
    // A test packet that timed out: no control exchange either.
    expect(reportFailure(new TimeoutError({ waitingFor: 'any reply', afterMs: 1000, peer: '127.0.0.1:862' }), { command: 'sender', reflector: '127.0.0.1:862' }).text).not.toContain('Accept');
  });

  it('a socket error says its head once, even wrapped or with node\'s own message as detail', () => {
    const head = 'bind failed with EADDRINUSE (0.0.0.0:862)';
    const wrapped = new NetworkError({ operation: 'bind', systemCode: 'EADDRINUSE', endpoint: '0.0.0.0:862', detail: `${head}: Address already in use` });
    expect(wrapped.message).toBe(`${head}: ${head}: Address already in use`);
    expect(lines(reportFailure(wrapped, { command: 'responder' }).text)[0]).toBe(`error: ${head}: Address already in use`);
    const node = new NetworkError({ operation: 'listen (TCP)', systemCode: 'EADDRINUSE', endpoint: '[::1]:862', detail: 'listen EADDRINUSE: address already in use ::1:862' });
    expect(lines(reportFailure(node, { command: 'server' }).text)[0]).toBe('error: listen (TCP) failed with EADDRINUSE ([::1]:862): address already in use');
    const connect = new NetworkError({ operation: 'connect', systemCode: 'ECONNREFUSED', endpoint: '127.0.0.1:1', detail: 'connect ECONNREFUSED 127.0.0.1:1' });
    expect(lines(reportFailure(connect, { command: 'controller', controlPort: 1 }).text)[0]).toBe('error: connect failed with ECONNREFUSED (127.0.0.1:1)');
    const bare = new NetworkError({ operation: 'bind', systemCode: 'EADDRINUSE', endpoint: '0.0.0.0:862', detail: head });
    expect(lines(reportFailure(bare, { command: 'responder' }).text)[0]).toBe(`error: ${head}`);
  });

  it('a host name without an address: the name service said it', () => {
    const error = new NetworkError({ operation: 'resolve host name (IPv4)', systemCode: 'ENOTFOUND', endpoint: 'nowhere.invalid', detail: 'no IPv4 address found' });
    const failure = explainFailure(error, { command: 'sender' });
    expect(failure.side).toEqual({ kind: 'network', label: 'the name service (DNS): no usable address for nowhere.invalid' });
    expect(failure.exitCode).toBe(1);
  });

  it('our own limits and malformed input from a peer', () => {
    const limit = explainFailure(new ResourceLimitError({ limit: 'maxSessions', max: 1, temporary: true }), { command: 'server' });
    expect(limit.accept).toMatchObject({ relation: 'equivalent', info: { code: 5 } });
    expect(limit.retryAfterMs).toBe(describeAcceptCode(5).retryAfterMs);
    const malformed = explainFailure(new MalformedInputError({ what: 'Server Greeting', field: 'Count', offset: 60, reason: 'too small' }), { command: 'controller', server: SERVER });
    expect(malformed.side).toEqual({ kind: 'peer', label: `the peer at ${SERVER} sent it; this host found it malformed` });
    expect(malformed.noAccept).toContain('Accept 3');
  });

  it('an unexpected error is ours, with the advice to run with -d', () => {
    const { text } = reportFailure(new Error('boom'));
    expect(lines(text)[0]).toBe('error: boom');
    expect(text).toContain('said by: this host: an unexpected error in twamp');
    expect(text).toContain('-d');
  });

  it('has a JSON form with the same facts', () => {
    const failure = explainFailure(new PeerRejectedError({ received: 5, peer: 'server', message: 'Accept-Session' }), { server: SERVER });
    const json = failureJson(failure);
    expect(json).toMatchObject({
      side: { kind: 'server' },
      accept: { code: 5, id: 'temporary-resource-limitation', relation: 'received', received: 5 },
      noAccept: null,
      retryAfterMs: 1000,
      exitCode: 3,
      errorCode: 'ERR_TWAMP_PEER_REJECTED',
    });
    expect(JSON.parse(JSON.stringify(json))).toEqual(json);
  });

  it('is what the control commands print (formatControlFailure)', () => {
    const error = new PeerRejectedError({ received: 5, peer: 'server', message: 'Accept-Session' });
    expect(formatControlFailure(error, 862, SERVER)).toBe(reportFailure(error, { controlPort: 862, server: SERVER }).text);
  });
});
