// One control-session cycle (connect → greeting → Set-Up-Response → Server-Start →
// Request-TW-Session → Accept-Session → Start-Sessions → Start-Ack → Stop-Sessions → close), three ways:
//   tcp      ControlClient ↔ ControlServer over loopback TCP (what a deployment pays);
//   sans-io  ClientConnection ↔ ServerConnection wired in memory (our state machines, no sockets);
//   wire     the bare @twamp/wire exchange in memory (encoders, framers, Token, stream crypto): the
//            protocol's own cost, the floor under both.
// In the keyed modes all three include both sides' PBKDF2 (Count 1024 here), which dominates.
import { AcceptCode } from '@twamp/errors';
import {
  acceptToken,
  ControlFramer,
  ControlStreamEncryptor,
  deriveKey,
  encodeAcceptSession,
  encodeRequestTwSession,
  encodeServerGreeting,
  encodeServerStart,
  encodeSetUpResponse,
  encodeStartAck,
  encodeStartSessions,
  encodeStopSessions,
  encryptToken,
  type FramedMessage,
  generateChallenge,
  generateClientIv,
  generateControlKeys,
  generateSalt,
  generateServerIv,
  Mode,
  SERVER_START_ENCRYPTED_OFFSET,
  ZERO_TIMESTAMP,
} from '@twamp/wire';
import {
  ClientConnection,
  type ClientEvent,
  ControlClient,
  type KeyStore,
  ServerConnection,
  type ServerAction,
} from '../src/index.js';

export const KEY_ID = 'bench';
export const SECRET = new TextEncoder().encode('bench shared secret');
export const PBKDF2_COUNT = 1024;
export const BENCH_KEYS: KeyStore = { secret: (id) => (id === KEY_ID ? SECRET : undefined), size: 1 };

export type BenchMode = 'open' | 'encrypted';
export const MODE_BITS: Readonly<Record<BenchMode, number>> = { open: Mode.Unauthenticated, encrypted: Mode.Encrypted };

const REQUEST = {
  ipvn: 4,
  senderPort: 30_000,
  receiverPort: 0,
  senderAddress: '0.0.0.0',
  receiverAddress: '0.0.0.0',
  paddingLength: 27,
  startTime: ZERO_TIMESTAMP,
  timeout: { seconds: 2, fraction: 0 },
  typeP: 0,
} as const;

function only(messages: FramedMessage[], type: FramedMessage['type']): FramedMessage {
  const [first] = messages;
  if (messages.length !== 1 || first?.type !== type) throw new Error(`expected one ${type}, got ${messages.map((m) => m.type).join(',')}`);
  return first;
}

/** The wire-only reference: both ends of one cycle played with @twamp/wire alone. */
export function wireCycle(mode: BenchMode): void {
  const client = new ControlFramer({ role: 'client' });
  const server = new ControlFramer({ role: 'server' });
  const challenge = generateChallenge();
  const salt = generateSalt();
  const greeting = only(client.feed(encodeServerGreeting({ modes: Mode.Unauthenticated | Mode.Encrypted, challenge, salt, count: PBKDF2_COUNT })), 'server-greeting');
  if (greeting.type !== 'server-greeting') throw new Error('unreachable');
  let toServer: ControlStreamEncryptor | undefined;
  let toClient: ControlStreamEncryptor | undefined;
  if (mode === 'open') {
    client.useUnauthenticated();
    only(server.feed(encodeSetUpResponse({ mode: Mode.Unauthenticated })), 'set-up-response');
    server.useUnauthenticated();
    only(client.feed(encodeServerStart({ accept: 0, serverIv: new Uint8Array(16), startTime: ZERO_TIMESTAMP })), 'server-start');
  } else {
    const keys = generateControlKeys();
    const clientIv = generateClientIv();
    const token = encryptToken(deriveKey(SECRET, greeting.salt, greeting.count), greeting.challenge, keys);
    client.useKeys(keys);
    const setUp = only(server.feed(encodeSetUpResponse({ mode: Mode.Encrypted, keyId: new Uint8Array(80), token, clientIv })), 'set-up-response');
    if (setUp.type !== 'set-up-response') throw new Error('unreachable');
    const serverKeys = acceptToken(deriveKey(SECRET, salt, PBKDF2_COUNT), setUp.token, challenge);
    server.useKeys(serverKeys, setUp.clientIv);
    const serverIv = generateServerIv();
    toClient = new ControlStreamEncryptor(serverKeys, serverIv);
    toServer = new ControlStreamEncryptor(keys, clientIv);
    const start = encodeServerStart({ accept: 0, serverIv, startTime: ZERO_TIMESTAMP });
    const wire = Buffer.concat([start.subarray(0, SERVER_START_ENCRYPTED_OFFSET), toClient.encryptUncovered(start.subarray(SERVER_START_ENCRYPTED_OFFSET))]);
    only(client.feed(wire), 'server-start');
  }
  const seal = (e: ControlStreamEncryptor | undefined, m: Buffer): Buffer => (e === undefined ? m : e.seal(m));
  only(server.feed(seal(toServer, encodeRequestTwSession(REQUEST))), 'request-tw-session');
  client.expect('accept-session');
  only(client.feed(seal(toClient, encodeAcceptSession({ accept: 0, port: 40_000, sid: new Uint8Array(16).fill(1) }))), 'accept-session');
  only(server.feed(seal(toServer, encodeStartSessions({}))), 'start-sessions');
  client.expect('start-ack');
  only(client.feed(seal(toClient, encodeStartAck({ accept: 0 }))), 'start-ack');
  only(server.feed(seal(toServer, encodeStopSessions({ accept: 0, numberOfSessions: 1 }))), 'stop-sessions');
}

/** Our two state machines wired back to back in memory, with an always-accepting handler. */
export function sansIoCycle(mode: BenchMode): void {
  const client = new ClientConnection({
    local: { address: '127.0.0.1', port: 50_000 },
    remote: { address: '127.0.0.1', port: 862 },
    allowedModes: MODE_BITS[mode],
    ...(mode === 'open' ? {} : { keyId: KEY_ID, secret: SECRET }),
  });
  const server = new ServerConnection({
    modes: Mode.Unauthenticated | Mode.Encrypted,
    keys: BENCH_KEYS,
    pbkdf2Count: PBKDF2_COUNT,
    client: { address: '127.0.0.1', port: 50_000 },
    server: { address: '127.0.0.1', port: 862 },
    now: Date.now,
    randomBytes: (size) => new Uint8Array(size).fill(7),
    maxSessions: () => 64,
  });
  const ids = new Set<number>();
  // An object, not lets: the closures mutate it, which flow analysis cannot see.
  const seen = { ready: false, stopped: false };
  // Pumps octets both ways until neither side has anything more to say.
  const toClient = (actions: readonly ServerAction[]): void => {
    for (const action of actions) {
      if (action.type === 'send') fromClient(client.receive(action.bytes));
      else if (action.type === 'open-session') toClient(server.sessionOpened(action.requestId, { accept: AcceptCode.Ok, port: 40_000 }));
      // What the adapter does on the thread pool, done inline: the cycle still pays for PBKDF2.
      else if (action.type === 'derive') toClient(server.keyDerived(action.requestId, deriveKey(action.secret, action.salt, action.count)));
      else if (action.type === 'stop') seen.stopped = true;
      else if (action.type === 'close' && !seen.stopped) throw new Error(`server closed: ${action.reason} ${action.detail}`);
    }
  };
  const fromClient = (events: readonly ClientEvent[]): void => {
    for (const event of events) {
      if (event.type === 'send') toClient(server.receive(event.bytes));
      else if (event.type === 'ready') seen.ready = true;
      else if (event.type === 'done') ids.add(event.id);
      else if (event.type === 'failed' || event.type === 'refused') throw event.error;
    }
  };
  toClient(server.start());
  if (!seen.ready) throw new Error('no Server-Start');
  const request = client.requestSession({ sender: { port: 30_000 } });
  fromClient(request.events);
  const start = client.startSessions();
  fromClient(start.events);
  fromClient(client.stopSessions());
  if (!ids.has(request.id) || !ids.has(start.id) || !seen.stopped) throw new Error('the cycle did not complete');
  toClient(server.end());
}

/** The real thing over loopback TCP. */
export async function tcpCycle(mode: BenchMode, port: number): Promise<void> {
  const client = await ControlClient.connect({
    server: { address: '127.0.0.1', port },
    allowedModes: MODE_BITS[mode],
    timeoutMs: 10_000,
    ...(mode === 'open' ? {} : { keyId: KEY_ID, secret: SECRET }),
  });
  try {
    await client.requestSession({ sender: { port: 30_000 } });
    await client.startSessions();
    await client.stopSessions();
  } finally {
    client.close();
  }
  await client.closed;
}
