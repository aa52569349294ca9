import { AuthenticationError, AuthenticationFailure, ConfigError, NetworkError, PeerRejectedError } from '@twamp/errors';
import {
  acceptToken,
  ControlFramer,
  ControlStreamEncryptor,
  decodeRequestTwSession,
  deriveKey,
  encodeStartAck,
  SERVER_START_ENCRYPTED_OFFSET,
  decodeSetUpResponse,
  decodeStopSessions,
  encodeAcceptSession,
  encodeServerGreeting,
  encodeServerStart,
  encodeStopNAck,
  Mode,
  ntpIntervalToSeconds,
  type SecurityMode,
} from '@twamp/wire';
import { describe, expect, it } from 'vitest';
import { ClientConnection, type ClientConnectionOptions, type ClientEvent, defaultPaddingLength } from '../../src/client/connection.js';

const SENDER = { sender: { port: 20000 } };
const ALL = Mode.Unauthenticated | Mode.Authenticated | Mode.Encrypted | Mode.Mixed;
const local = { address: '127.0.0.1', port: 50000 };
const remote = { address: '127.0.0.2', port: 862 };
const secret = { keyId: 'alice', secret: Buffer.from('wonderland') };

function greeting(modes: number, count = 1024): Buffer {
  return encodeServerGreeting({ modes, challenge: Buffer.alloc(16, 1), salt: Buffer.alloc(16, 2), count });
}

function sent(events: readonly ClientEvent[]): Buffer[] {
  return events.flatMap((event) => (event.type === 'send' ? [event.bytes] : []));
}

function failure(events: readonly ClientEvent[]): Error | undefined {
  for (const event of events) if (event.type === 'failed') return event.error;
  return undefined;
}

function client(options: Partial<ClientConnectionOptions> = {}): ClientConnection {
  return new ClientConnection({ local, remote, ...options });
}

/** The mode a client with these options selects against a greeting offering `offered`. */
function chosen(offered: number, options: Partial<ClientConnectionOptions>): number | Error {
  const connection = client(options);
  const events = connection.receive(greeting(offered));
  const error = failure(events);
  if (error !== undefined) return error;
  const [setUp] = sent(events);
  if (setUp === undefined) throw new Error('no Set-Up-Response');
  return decodeSetUpResponse(setUp).mode;
}

/** An open-mode connection past Server-Start. */
function ready(options: Partial<ClientConnectionOptions> = {}, offered: number = Mode.Unauthenticated): ClientConnection {
  const connection = client(options);
  connection.receive(greeting(offered));
  const events = connection.receive(encodeServerStart({ accept: 0 }));
  expect(events.map((event) => event.type)).toEqual(['ready']);
  return connection;
}

describe('ClientConnection: mode choice', () => {
  it('prefers encrypted > authenticated > mixed > open by default', () => {
    expect(chosen(ALL, secret)).toBe(Mode.Encrypted);
    expect(chosen(Mode.Authenticated | Mode.Mixed | Mode.Unauthenticated, secret)).toBe(Mode.Authenticated);
    expect(chosen(Mode.Mixed | Mode.Unauthenticated, secret)).toBe(Mode.Mixed);
    expect(chosen(Mode.Unauthenticated, secret)).toBe(Mode.Unauthenticated);
  });

  it('chooses within allowed ∩ offered, following an explicit preference', () => {
    expect(chosen(ALL, { ...secret, allowedModes: Mode.Authenticated | Mode.Unauthenticated })).toBe(Mode.Authenticated);
    const preference: SecurityMode[] = [Mode.Unauthenticated, Mode.Mixed];
    expect(chosen(ALL, { ...secret, preference })).toBe(Mode.Unauthenticated);
    expect(chosen(Mode.Encrypted | Mode.Mixed, { ...secret, preference })).toBe(Mode.Mixed);
  });

  it('without a secret only open mode is allowed', () => {
    expect(chosen(ALL, {})).toBe(Mode.Unauthenticated);
    expect(() => client({ allowedModes: Mode.Encrypted })).toThrow(ConfigError);
    expect(() => client({ keyId: 'x' })).toThrow(ConfigError);
    expect(() => client({ ...secret, keyId: 'k'.repeat(81) })).toThrow(ConfigError);
    expect(() => client({ allowedModes: Mode.IndividualSessionControl })).toThrow(ConfigError);
    expect(() => client({ extensions: Mode.IkeV2 })).toThrow(ConfigError);
  });

  it('no acceptable mode is an AuthenticationError (NoAcceptableMode); Modes 0 is a refusal', () => {
    const none = chosen(Mode.Encrypted, { ...secret, allowedModes: Mode.Unauthenticated | Mode.Mixed });
    expect(none).toBeInstanceOf(AuthenticationError);
    expect((none as AuthenticationError).reason).toBe(AuthenticationFailure.NoAcceptableMode);
    const refused = chosen(0, secret);
    expect(refused).toBeInstanceOf(PeerRejectedError);
    expect((refused as PeerRejectedError).message).toMatch(/refuses service/);
  });

  it('adds the requested extension bits that the server offered, no others', () => {
    const offered = Mode.Unauthenticated | Mode.IndividualSessionControl | Mode.SymmetricalSize | Mode.DscpEcnMonitoring;
    const mode = chosen(offered, { extensions: Mode.IndividualSessionControl | Mode.ReflectOctets | Mode.SymmetricalSize });
    expect(mode).toBe(Mode.Unauthenticated | Mode.IndividualSessionControl | Mode.SymmetricalSize);
  });

  it('refuses a Count above maxPbkdf2Count before any PBKDF2 work, and ignores Count in open mode', () => {
    const connection = client({ ...secret, maxPbkdf2Count: 4096 });
    const events = connection.receive(greeting(ALL, 8192));
    expect(sent(events)).toEqual([]);
    const error = failure(events);
    expect(error).toBeInstanceOf(AuthenticationError);
    expect((error as AuthenticationError).reason).toBe(AuthenticationFailure.CountTooLarge);
    expect(chosen(Mode.Unauthenticated, { maxPbkdf2Count: 4096 })).toBe(Mode.Unauthenticated);
    const big = client({});
    expect(failure(big.receive(greeting(Mode.Unauthenticated, 2 ** 30)))).toBeUndefined();
  });

  it('open mode sends zero KeyID, Token and Client-IV; keyed modes fill them', () => {
    const open = client(secret);
    const [openSetUp] = sent(open.receive(greeting(Mode.Unauthenticated)));
    const decodedOpen = decodeSetUpResponse(openSetUp ?? Buffer.alloc(0));
    expect(Buffer.from(decodedOpen.keyId).every((octet) => octet === 0)).toBe(true);
    expect(Buffer.from(decodedOpen.token).every((octet) => octet === 0)).toBe(true);
    expect(Buffer.from(decodedOpen.clientIv).every((octet) => octet === 0)).toBe(true);
    const keyed = client(secret);
    const [keyedSetUp] = sent(keyed.receive(greeting(Mode.Authenticated)));
    const decodedKeyed = decodeSetUpResponse(keyedSetUp ?? Buffer.alloc(0));
    expect(Buffer.from(decodedKeyed.keyId).subarray(0, 5).toString()).toBe('alice');
    expect(Buffer.from(decodedKeyed.token).some((octet) => octet !== 0)).toBe(true);
  });

  it('uses the injected random source for the control keys and Client-IV', () => {
    let calls = 0;
    const randomBytes = (size: number): Uint8Array => {
      calls += 1;
      return new Uint8Array(size).fill(9);
    };
    const connection = client({ ...secret, randomBytes });
    const [setUp] = sent(connection.receive(greeting(Mode.Encrypted)));
    expect(calls).toBe(3);
    expect(Buffer.from(decodeSetUpResponse(setUp ?? Buffer.alloc(0)).clientIv)).toEqual(Buffer.alloc(16, 9));
  });

  it('Server-Start with Accept ≠ 0 fails with a PeerRejectedError that says what the code means', () => {
    const connection = client();
    connection.receive(greeting(Mode.Unauthenticated));
    const error = failure(connection.receive(encodeServerStart({ accept: 4 })));
    expect(error).toBeInstanceOf(PeerRejectedError);
    expect((error as PeerRejectedError).acceptCode).toBe(4);
    expect((error as PeerRejectedError).stage).toBe('Server-Start');
    expect(error?.message).toMatch(/Permanent resource limitation/i);
  });
});

describe('ClientConnection: Request-TW-Session', () => {
  it('defaults: zero addresses, IPVN of the connection, symmetric padding, Timeout 2 s, DSCP 0', () => {
    const connection = ready();
    const [bytes] = sent(connection.requestSession(SENDER).events);
    const request = decodeRequestTwSession(bytes ?? Buffer.alloc(0));
    expect(request.ipvn).toBe(4);
    expect(request.senderAddress).toBe('0.0.0.0');
    expect(request.receiverAddress).toBe('0.0.0.0');
    expect(request.paddingLength).toBe(27);
    expect(ntpIntervalToSeconds(request.timeout)).toBe(2);
    expect(request.typeP).toBe(0);
    expect(Buffer.from(request.sid).every((octet) => octet === 0)).toBe(true);
    expect(request.confSender + request.confReceiver + request.numberOfPackets + request.numberOfScheduleSlots).toBe(0);
  });

  it('padding defaults by mode', () => {
    expect(defaultPaddingLength(Mode.Unauthenticated)).toBe(27);
    expect(defaultPaddingLength(Mode.Mixed)).toBe(27);
    expect(defaultPaddingLength(Mode.Authenticated)).toBe(64);
    expect(defaultPaddingLength(Mode.Encrypted)).toBe(64);
    expect(defaultPaddingLength(Mode.Unauthenticated | Mode.SymmetricalSize)).toBe(0);
  });

  it('all fields from the options; IPv6 control connection → IPVN 6', () => {
    const connection = new ClientConnection({ local: { address: '::1', port: 1 }, remote: { address: '::1', port: 862 } });
    connection.receive(greeting(Mode.Unauthenticated));
    connection.receive(encodeServerStart({ accept: 0 }));
    const issued = connection.requestSession({
      sender: { address: '::1', port: 20000 },
      receiver: { port: 20001 },
      paddingLength: 100,
      timeoutSeconds: 0.5,
      dscp: 46,
      startTime: { seconds: 3_900_000_000, fraction: 0 },
    });
    const request = decodeRequestTwSession(sent(issued.events)[0] ?? Buffer.alloc(0));
    expect(request).toMatchObject({ ipvn: 6, senderAddress: '::1', receiverAddress: '::', senderPort: 20000, receiverPort: 20001, paddingLength: 100, typeP: 0x2e000000 });
    expect(request.startTime.seconds).toBe(3_900_000_000);
    expect(ntpIntervalToSeconds(request.timeout)).toBe(0.5);
    expect(() => connection.requestSession({ sender: { address: '127.0.0.1', port: 1 } })).toThrow(ConfigError);
    expect(() => connection.requestSession({ ...SENDER, dscp: 64 })).toThrow(ConfigError);
    expect(() => connection.requestSession({})).toThrow(/sender\.port/);
  });

  it('RFC 6038 fields only with Reflect Octets selected', () => {
    const without = ready();
    expect(() => without.requestSession({ ...SENDER, octetsToBeReflected: 0x1234 })).toThrow(ConfigError);
    const withIt = ready({ extensions: Mode.ReflectOctets }, Mode.Unauthenticated | Mode.ReflectOctets);
    const request = decodeRequestTwSession(sent(withIt.requestSession({ ...SENDER, octetsToBeReflected: 0x1234, paddingToReflect: 8 }).events)[0] ?? Buffer.alloc(0));
    expect(request.octetsToBeReflected).toBe(0x1234);
    expect(request.lengthOfPaddingToReflect).toBe(8);
  });

  it('Accept-Session: returned port used, zero addresses replaced; Stop-Sessions counts the sessions not stopped', () => {
    const connection = ready({ extensions: Mode.IndividualSessionControl }, Mode.Unauthenticated | Mode.IndividualSessionControl);
    const first = connection.requestSession({ ...SENDER, receiver: { port: 5000 } });
    const second = connection.requestSession(SENDER);
    const sidA = Buffer.alloc(16, 0xa);
    const sidB = Buffer.alloc(16, 0xb);
    const events = connection.receive(Buffer.concat([encodeAcceptSession({ accept: 0, port: 6000, sid: sidA }), encodeAcceptSession({ accept: 0, port: 6001, sid: sidB })]));
    const done = events.filter((event) => event.type === 'done');
    expect(done.map((event) => event.id)).toEqual([first.id, second.id]);
    const session = done[0]?.type === 'done' ? done[0].session : undefined;
    expect(session?.receiver).toEqual({ address: '127.0.0.2', port: 6000 });
    expect(session?.sender).toEqual({ address: '127.0.0.1', port: 20000 });
    expect(connection.activeSessions).toBe(2);
    const stopN = connection.stopSessionsN([sidA]);
    connection.receive(encodeStopNAck({ accept: 0, sids: [sidA] }));
    expect(stopN.id).toBeGreaterThan(second.id);
    expect(connection.activeSessions).toBe(1);
    // Stop-Sessions is forbidden with Individual Session Control; see the plain-mode case below.
    expect(() => connection.stopSessions()).toThrow(ConfigError);
  });

  it('Stop-Sessions carries the number of accepted sessions, and 0 after them', () => {
    const connection = ready();
    connection.requestSession(SENDER);
    connection.requestSession(SENDER);
    connection.requestSession(SENDER);
    connection.receive(
      Buffer.concat([
        encodeAcceptSession({ accept: 0, port: 6000, sid: Buffer.alloc(16, 1) }),
        encodeAcceptSession({ accept: 5, port: 0 }),
        encodeAcceptSession({ accept: 0, port: 6002, sid: Buffer.alloc(16, 3) }),
      ]),
    );
    const [stop] = sent(connection.stopSessions());
    expect(decodeStopSessions(stop ?? Buffer.alloc(0)).numberOfSessions).toBe(2);
    const [again] = sent(connection.stopSessions());
    expect(decodeStopSessions(again ?? Buffer.alloc(0)).numberOfSessions).toBe(0);
  });

  it('Accept 0 with port 0 refuses that request (no port to send to) but counts the session the server holds', () => {
    const connection = ready();
    const issued = connection.requestSession(SENDER);
    const events = connection.receive(encodeAcceptSession({ accept: 0, port: 0, sid: Buffer.alloc(16, 5) }));
    expect(events).toMatchObject([{ type: 'refused', id: issued.id, error: { name: 'MalformedInputError' } }]);
    expect(connection.activeSessions).toBe(1);
  });

  it('a server closing mid-reply fails with a NetworkError naming the reply', () => {
    const connection = ready();
    connection.requestSession(SENDER);
    connection.receive(encodeAcceptSession({ accept: 0, port: 1 }).subarray(0, 20));
    const error = failure(connection.end());
    expect(error).toBeInstanceOf(NetworkError);
    expect(error?.message).toMatch(/Accept-Session \(20 octets/);
  });

  it('commands before Server-Start are a programming error; RFC 5938 commands need the mode', () => {
    const connection = client();
    expect(() => connection.startSessions()).toThrow(/not ready/);
    const open = ready();
    expect(() => open.startSessionsN([Buffer.alloc(16)])).toThrow(ConfigError);
  });
});

describe('ClientConnection: framing', () => {
  it('greeting and Server-Start in one chunk (open mode)', () => {
    const connection = client();
    const events = connection.receive(Buffer.concat([greeting(Mode.Unauthenticated), encodeServerStart({ accept: 0 })]));
    expect(events.map((event) => event.type)).toEqual(['send', 'greeting', 'ready']);
  });

  it('encrypted mode with every server octet arriving alone: Token accepted, replies decrypted and verified', () => {
    const connection = client(secret);
    const challenge = Buffer.alloc(16, 1);
    const salt = Buffer.alloc(16, 2);
    const all: ClientEvent[] = [];
    const feed = (bytes: Buffer): void => {
      for (const octet of bytes) all.push(...connection.receive(Buffer.of(octet)));
    };
    feed(greeting(Mode.Encrypted));
    const serverFramer = new ControlFramer({ role: 'server' });
    const [setUp] = serverFramer.feed(Buffer.concat(sent(all)));
    if (setUp?.type !== 'set-up-response') throw new Error('no Set-Up-Response');
    const keys = acceptToken(deriveKey(secret.secret, salt, 1024), setUp.token, challenge);
    serverFramer.useKeys(keys, setUp.clientIv);
    const serverIv = Buffer.alloc(16, 3);
    const toClient = new ControlStreamEncryptor(keys, serverIv);
    const start = encodeServerStart({ accept: 0, serverIv });
    feed(Buffer.concat([start.subarray(0, SERVER_START_ENCRYPTED_OFFSET), toClient.encryptUncovered(start.subarray(SERVER_START_ENCRYPTED_OFFSET))]));
    expect(connection.ready).toBe(true);
    const request = connection.requestSession(SENDER);
    const start2 = connection.startSessions();
    const commands = serverFramer.feed(Buffer.concat(sent([...request.events, ...start2.events])));
    expect(commands.map((command) => command.type)).toEqual(['request-tw-session', 'start-sessions']);
    all.length = 0;
    feed(toClient.seal(encodeAcceptSession({ accept: 0, port: 7000, sid: Buffer.alloc(16, 4) })));
    feed(toClient.seal(encodeStartAck({ accept: 0 })));
    expect(all.map((event) => (event.type === 'done' ? event.id : event.type))).toEqual([request.id, start2.id]);
    const session = all[0]?.type === 'done' ? all[0].session : undefined;
    expect(session?.createCrypto()).toBeDefined();
    expect(session?.receiver.port).toBe(7000);
  });
});
