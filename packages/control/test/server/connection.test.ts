// The sans-IO state machine alone: injected clock and random source, bytes fed by hand.
import { AcceptCode } from '@twamp/errors';
import {
  ControlFramer,
  decodeAcceptSession,
  encodeRequestTwSession,
  encodeSetUpResponse,
  encodeStartSessions,
  type FramedMessage,
  Mode,
} from '@twamp/wire';
import { describe, expect, it } from 'vitest';
import { type ServerAction, ServerConnection, type ServerConnectionOptions } from '../../src/server/index.js';
import { withKeys } from '../support/derive.js';
import { defaultRequest } from './helpers.js';

function counterRandom(): (size: number) => Uint8Array {
  let next = 0;
  return (size) => Uint8Array.from({ length: size }, () => next++ & 0xff);
}

function make(overrides: Partial<ServerConnectionOptions> = {}): ServerConnection {
  return new ServerConnection({
    modes: Mode.Unauthenticated,
    pbkdf2Count: 1024,
    client: { address: '192.0.2.10', port: 40000 },
    server: { address: '192.0.2.1', port: 862 },
    now: () => Date.UTC(2026, 0, 1),
    randomBytes: counterRandom(),
    maxSessions: () => 8,
    ...overrides,
  });
}

function sent(actions: readonly ServerAction[]): Buffer {
  return Buffer.concat(actions.flatMap((action) => (action.type === 'send' ? [action.bytes] : [])));
}

function decode(framer: ControlFramer, bytes: Buffer): FramedMessage[] {
  return framer.feed(bytes);
}

describe('ServerConnection (sans-IO)', () => {
  it('greeting from the injected random source; a handshake and a request fed one octet at a time', () => {
    const connection = make();
    const client = new ControlFramer({ role: 'client' });
    const [greeting] = decode(client, sent(connection.start()));
    expect(greeting?.type).toBe('server-greeting');
    if (greeting?.type !== 'server-greeting') return;
    expect([...greeting.challenge]).toEqual([...Array(16).keys()]);
    expect([...greeting.salt]).toEqual([...Array(16).keys()].map((i) => i + 16));
    expect(connection.timers.handshake).toBe(true);

    client.useUnauthenticated();
    const input = Buffer.concat([encodeSetUpResponse({ mode: Mode.Unauthenticated }), encodeRequestTwSession(defaultRequest())]);
    const actions: ServerAction[] = [];
    for (const octet of input) actions.push(...connection.receive(Uint8Array.of(octet)));
    expect(decode(client, sent(actions)).map((m) => m.type)).toEqual(['server-start']);
    const open = actions.find((action) => action.type === 'open-session');
    expect(open?.type).toBe('open-session');
    if (open?.type !== 'open-session') return;
    expect(open.request.sender).toEqual({ address: '192.0.2.10', port: 20000 });
    expect(open.request.receiver.address).toBe('192.0.2.1');
    expect([...open.request.sid.subarray(0, 4)]).toEqual([192, 0, 2, 1]);
    expect(connection.waitingForHandler).toBe(true);
    expect(connection.timers).toEqual({ handshake: false, message: false, servwait: false, idle: false });

    const reply = connection.sessionOpened(open.requestId, { accept: AcceptCode.Ok, port: 5000 });
    client.expect('accept-session');
    const [accept] = decode(client, sent(reply));
    expect(accept?.type === 'accept-session' && accept.port).toBe(5000);
    expect(connection.timers.servwait).toBe(true);
  });

  it('a half command turns the message timer on; a timeout releases the sessions and closes', () => {
    const connection = make();
    connection.start();
    connection.receive(encodeSetUpResponse({ mode: Mode.Unauthenticated }));
    const open = connection.receive(encodeRequestTwSession(defaultRequest())).find((a) => a.type === 'open-session');
    if (open?.type !== 'open-session') throw new Error('no open-session');
    connection.sessionOpened(open.requestId, { accept: AcceptCode.Ok, port: 5000 });
    connection.receive(encodeStartSessions().subarray(0, 5));
    expect(connection.timers.message).toBe(true);
    const actions = connection.timeout('message');
    expect(actions.map((a) => a.type)).toEqual(['release', 'close']);
    expect(connection.closeReason).toBe('timeout');
    expect(connection.receive(Buffer.alloc(16))).toEqual([]);
  });

  it('commands queued behind the handler are bounded: beyond the cap the connection closes', () => {
    const connection = make({ maxQueuedOctets: 64 });
    connection.start();
    const actions = connection.receive(
      Buffer.concat([
        encodeSetUpResponse({ mode: Mode.Unauthenticated }),
        encodeRequestTwSession(defaultRequest()),
        encodeStartSessions(),
        encodeStartSessions(),
        encodeStartSessions(),
      ]),
    );
    const close = actions.find((a) => a.type === 'close');
    expect(close?.type === 'close' && close.reason).toBe('input-overflow');
    const open = actions.find((a) => a.type === 'open-session');
    if (open?.type !== 'open-session') throw new Error('no open-session');
    // The handler answers after the close: what it opened is released at once.
    expect(connection.sessionOpened(open.requestId, { accept: AcceptCode.Ok, port: 5000 })).toEqual([
      { type: 'release', sids: [open.request.sid] },
    ]);
  });

  it('a handler port outside 1-65535 becomes Accept 2 and the session is released', () => {
    const connection = make();
    const client = new ControlFramer({ role: 'client' });
    client.feed(sent(connection.start()));
    client.useUnauthenticated();
    client.feed(sent(connection.receive(encodeSetUpResponse({ mode: Mode.Unauthenticated }))));
    const open = connection.receive(encodeRequestTwSession(defaultRequest())).find((a) => a.type === 'open-session');
    if (open?.type !== 'open-session') throw new Error('no open-session');
    const actions = connection.sessionOpened(open.requestId, { accept: AcceptCode.Ok, port: 0 });
    expect(actions[0]).toEqual({ type: 'release', sids: [open.request.sid] });
    client.expect('accept-session');
    const [accept] = client.feed(sent(actions));
    expect(accept?.type === 'accept-session' && accept.accept).toBe(AcceptCode.InternalError);
  });

  it('a refused client gets Modes 0 and a close, nothing else', () => {
    const connection = make({ refuse: 'not allowed' });
    const actions = connection.start();
    expect(actions.map((a) => a.type)).toEqual(['send', 'close']);
    expect(sent(actions).readUInt32BE(12)).toBe(0);
    expect(connection.closeReason).toBe('service-refused');
  });

  it('the logger never sees the secret', () => {
    const lines: string[] = [];
    const logger = {
      info: (event: string, fields: Readonly<Record<string, unknown>>): void => {
        lines.push(`${event} ${JSON.stringify(fields)}`);
      },
      warn: (event: string, fields: Readonly<Record<string, unknown>>): void => {
        lines.push(`${event} ${JSON.stringify(fields)}`);
      },
    };
    const secret = 'very secret phrase';
    const connection = make({
      modes: Mode.Encrypted,
      keys: { secret: (id) => (id === 'k' ? Buffer.from(secret) : undefined), size: 1 },
      logger,
    });
    connection.start();
    const keyId = Buffer.alloc(80);
    keyId.write('k');
    const actions = connection.receive(encodeSetUpResponse({ mode: Mode.Encrypted, keyId, token: Buffer.alloc(64, 7), clientIv: Buffer.alloc(16) }));
    // The key is derived off the loop: nothing is decided until the adapter feeds it back.
    expect(actions.map((action) => action.type)).toEqual(['derive']);
    expect(connection.waitingForKey).toBe(true);
    expect(connection.closeReason).toBeUndefined();
    withKeys(connection, actions);
    expect(connection.closeReason).toBe('setup-refused');
    expect(lines.join('\n')).not.toContain(secret);
    expect(lines.join('\n')).toContain('wrong secret');
  });

  it('unknown KeyID: the same derive action as a known one (a dummy secret), then the same refusal', () => {
    const secret = Buffer.from('known secret');
    const keys = { secret: (id: string) => (id === 'k' ? Uint8Array.from(secret) : undefined), size: 1 };
    const outcomes: boolean[] = [];
    const run = (id: string): { derive: ServerAction | undefined; sent: Buffer; connection: ServerConnection } => {
      const connection = make({ modes: Mode.Encrypted, keys, onAuthentication: (ok) => outcomes.push(ok) });
      connection.start();
      const keyId = Buffer.alloc(80);
      keyId.write(id);
      const actions = connection.receive(encodeSetUpResponse({ mode: Mode.Encrypted, keyId, token: Buffer.alloc(64, 7), clientIv: Buffer.alloc(16) }));
      return { derive: actions[0], sent: sent(withKeys(connection, actions)), connection };
    };
    const known = run('k');
    const unknown = run('nobody');
    for (const { derive } of [known, unknown]) {
      expect(derive?.type).toBe('derive');
      if (derive?.type !== 'derive') return;
      expect(derive.count).toBe(1024);
      expect(derive.secret.length).toBeGreaterThan(0);
    }
    if (unknown.derive?.type === 'derive') expect(Buffer.from(unknown.derive.secret).equals(secret)).toBe(false);
    expect(unknown.sent.equals(known.sent)).toBe(true);
    expect(unknown.connection.closeReason).toBe('setup-refused');
    expect(outcomes).toEqual([false, false]);
  });

  it('a failed derivation is refused with Accept 2 (internal error) and closes', () => {
    const connection = make({ modes: Mode.Encrypted, keys: { secret: () => Uint8Array.of(1), size: 1 } });
    connection.start();
    const actions = connection.receive(encodeSetUpResponse({ mode: Mode.Encrypted, keyId: Buffer.alloc(80), token: Buffer.alloc(64), clientIv: Buffer.alloc(16) }));
    const derive = actions[0];
    if (derive?.type !== 'derive') throw new Error('no derive action');
    const reply = connection.keyDerived(derive.requestId, new Error('pool exhausted'));
    expect(reply.map((action) => action.type)).toEqual(['send', 'close']);
    expect(connection.closeReason).toBe('setup-refused');
    expect(() => connection.keyDerived(derive.requestId, new Error('twice'))).toThrow();
  });

  it('idle timer only with no session held; releaseUnstarted releases accepted, never started ones', () => {
    let now = Date.UTC(2026, 0, 1);
    const connection = make({ now: () => now });
    connection.start();
    connection.receive(encodeSetUpResponse({ mode: Mode.Unauthenticated }));
    expect(connection.timers.idle).toBe(true);
    const open = connection.receive(encodeRequestTwSession(defaultRequest())).find((a) => a.type === 'open-session');
    if (open?.type !== 'open-session') throw new Error('no open-session');
    expect(connection.timers.idle).toBe(false);
    connection.sessionOpened(open.requestId, { accept: AcceptCode.Ok, port: 5000 });
    expect(connection.oldestUnstartedAt).toBe(now);
    expect(connection.releaseUnstarted(now - 1).released).toBe(0);
    now += 1000;
    const { actions, released } = connection.releaseUnstarted(now - 500);
    expect(released).toBe(1);
    expect(actions).toEqual([{ type: 'release', sids: [open.request.sid] }]);
    expect(connection.oldestUnstartedAt).toBeUndefined();
    expect(connection.sessionsInUse).toBe(0);
    expect(connection.timers.idle).toBe(true);
    expect(connection.timeout('idle').at(-1)).toMatchObject({ type: 'close', reason: 'idle' });
  });

  it('addresses: another receiver → Accept 3 (never open-session); a zero receiver is the local address', () => {
    const refusals: string[] = [];
    const connection = make({ onSessionRefused: (why) => refusals.push(why) });
    connection.start();
    connection.receive(encodeSetUpResponse({ mode: Mode.Unauthenticated }));
    const bad = connection.receive(encodeRequestTwSession({ ...defaultRequest(), receiverAddress: '198.51.100.7' }));
    expect(bad.some((action) => action.type === 'open-session')).toBe(false);
    expect(decodeAcceptSession(sent(bad)).accept).toBe(AcceptCode.NotSupported);
    const mapped = connection.receive(encodeRequestTwSession({ ...defaultRequest(), ipvn: 6, senderAddress: '::ffff:192.0.2.10', receiverAddress: '::ffff:192.0.2.1' }));
    const open = mapped.find((action) => action.type === 'open-session');
    expect(open?.type === 'open-session' && [open.request.sender.address, open.request.receiver.address]).toEqual(['192.0.2.10', '192.0.2.1']);
    expect(refusals).toEqual(['receiver-address']);
  });
});
