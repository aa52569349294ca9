// Whole control streams, in both directions and in clear or encrypted form, and drivers that
// feed them to a framer in arbitrary pieces. The sending side uses ControlStreamEncryptor, the
// same primitive a real peer would use; expected HMACs are computed independently (hmac16).
import { ControlStreamEncryptor } from '../../src/crypto/control-stream.js';
import {
  ControlFramer,
  type ControlMessage,
  decodeServerStart,
  encodeAcceptSession,
  encodeRequestTwSession,
  encodeServerGreeting,
  encodeServerStart,
  encodeSetUpResponse,
  encodeStartAck,
  encodeStartNAck,
  encodeStartNSessions,
  encodeStartSessions,
  encodeStopNAck,
  encodeStopNSessions,
  encodeStopSessions,
  type ExpectedReply,
  type FramedMessage,
} from '../../src/control/index.js';
import { DECODERS, fill, hex, hmac16, seq } from './support.js';

export const KEYS = { aesKey: seq(0x11, 16), hmacKey: seq(0x21, 32) };
export const CLIENT_IV = seq(0x31, 16);
export const SERVER_IV = seq(0x41, 16);

export const SID_1 = hex('c6120001 e9b0c2d1 00000001 11111111');
export const SID_2 = hex('c6120001 e9b0c2d1 00000002 22222222');
export const SID_3 = hex('c6120001 e9b0c2d1 00000003 33333333');

export const GREETING = encodeServerGreeting({ modes: 0x1f, challenge: seq(0x50, 16), salt: seq(0x60, 16), count: 2048 });
export const SET_UP_CLEAR = encodeSetUpResponse({ mode: 1 });
export const SET_UP_ENCRYPTED = encodeSetUpResponse({
  mode: 4 | 16,
  keyId: Buffer.concat([Buffer.from('alice'), fill(0, 75)]),
  token: seq(0x70, 64),
  clientIv: CLIENT_IV,
});
export const SERVER_START = encodeServerStart({ accept: 0, serverIv: SERVER_IV, startTime: { seconds: 0xe9b0c2d1, fraction: 0x12345678 } });

/** Client commands after Set-Up-Response, as plaintext with zero HMAC fields. */
export const COMMANDS: readonly Buffer[] = [
  encodeRequestTwSession({
    ipvn: 6,
    senderPort: 40000,
    receiverPort: 862,
    senderAddress: '2001:db8::10',
    receiverAddress: '2001:db8::20',
    paddingLength: 64,
    startTime: { seconds: 0xe9b0c2d2, fraction: 0 },
    timeout: { seconds: 2, fraction: 0 },
    typeP: 0x2e000000,
    octetsToBeReflected: 0x0102,
    lengthOfPaddingToReflect: 16,
  }),
  encodeStartSessions(),
  encodeStartNSessions({ sids: [SID_1, SID_2, SID_3] }),
  encodeStopNSessions({ sids: [SID_2] }),
  encodeStopSessions({ accept: 0, numberOfSessions: 2 }),
];

/** Server replies after Server-Start, as plaintext, with what the client expects for each. */
export const REPLIES: readonly (readonly [ExpectedReply, Buffer])[] = [
  ['accept-session', encodeAcceptSession({ accept: 0, port: 862, sid: SID_1, reflectedOctets: 0x0102 })],
  ['start-ack', encodeStartAck({ accept: 0 })],
  ['start-n-ack', encodeStartNAck({ accept: 0, sids: [SID_1, SID_2, SID_3] })],
  ['stop-n-ack', encodeStopNAck({ accept: 5, sids: [SID_2] })],
];

export interface Stream {
  readonly bytes: Buffer;
  readonly expected: readonly ControlMessage[];
  /** Where each message ends in `bytes` (for tampering with a chosen message). */
  readonly ends: readonly number[];
}

function decodeAs(type: ControlMessage['type'], plain: Buffer): ControlMessage {
  return DECODERS[type](plain);
}

/** What a server framer reads: Set-Up-Response, then `commands` in clear or sealed. */
export function clientStream(encrypted: boolean, commands: readonly Buffer[] = COMMANDS): Stream {
  const encryptor = new ControlStreamEncryptor(KEYS, CLIENT_IV);
  const setUp = encrypted ? SET_UP_ENCRYPTED : SET_UP_CLEAR;
  const parts: Buffer[] = [setUp];
  const expected: ControlMessage[] = [DECODERS['set-up-response'](setUp)];
  for (const plain of commands) {
    const type = commandType(plain[0] ?? 0);
    if (encrypted) {
      parts.push(encryptor.seal(plain));
      // The first client HMAC covers only its own command (RFC 5357 §3.2).
      const body = plain.subarray(0, plain.length - 16);
      expected.push({ ...decodeAs(type, plain), hmac: hmac16(KEYS.hmacKey, body) } as ControlMessage);
    } else {
      parts.push(plain);
      expected.push(decodeAs(type, plain));
    }
  }
  return finish(parts, expected);
}

/** What a client framer reads: greeting, Server-Start, then `replies` in clear or sealed. */
export function serverStream(encrypted: boolean, replies: readonly (readonly [ExpectedReply, Buffer])[] = REPLIES): Stream {
  const encryptor = new ControlStreamEncryptor(KEYS, SERVER_IV);
  const parts: Buffer[] = [GREETING];
  const expected: ControlMessage[] = [DECODERS['server-greeting'](GREETING), decodeServerStart(SERVER_START)];
  const startTail = SERVER_START.subarray(32);
  parts.push(encrypted ? Buffer.concat([SERVER_START.subarray(0, 32), encryptor.encryptUncovered(startTail)]) : SERVER_START);
  let first = true;
  for (const [type, plain] of replies) {
    if (encrypted) {
      parts.push(encryptor.seal(plain));
      const body = plain.subarray(0, plain.length - 16);
      // The server's first HMAC also covers Server-Start octets 32-47 (RFC 5357 §3.2).
      const mac = first ? hmac16(KEYS.hmacKey, startTail, body) : hmac16(KEYS.hmacKey, body);
      expected.push({ ...decodeAs(type, plain), hmac: mac } as ControlMessage);
    } else {
      parts.push(plain);
      expected.push(decodeAs(type, plain));
    }
    first = false;
  }
  return finish(parts, expected);
}

function finish(parts: readonly Buffer[], expected: readonly ControlMessage[]): Stream {
  const ends: number[] = [];
  let total = 0;
  for (const part of parts) {
    total += part.length;
    ends.push(total);
  }
  return { bytes: Buffer.concat(parts), expected, ends };
}

function commandType(command: number): ControlMessage['type'] {
  const types: Record<number, ControlMessage['type']> = {
    2: 'start-sessions',
    3: 'stop-sessions',
    5: 'request-tw-session',
    7: 'start-n-sessions',
    9: 'stop-n-sessions',
  };
  const type = types[command];
  if (type === undefined) throw new Error(`no test command ${command}`);
  return type;
}

/**
 * Feed `bytes` cut at `cuts` (sorted positions) to a fresh framer. The owner's part is played
 * as a real one would: it installs security as soon as the framer asks for it. Each chunk is
 * copied into one scratch buffer that is overwritten after every feed, as a socket's read
 * buffer would be, so a framer that kept a reference to caller memory would fail.
 */
export function feedInPieces(
  role: 'server' | 'client',
  encrypted: boolean,
  bytes: Buffer,
  cuts: readonly number[],
  replies: readonly ExpectedReply[] = REPLIES.map(([type]) => type),
): FramedMessage[] {
  const framer = new ControlFramer({ role });
  const out: FramedMessage[] = [];
  if (role === 'client') for (const reply of replies) out.push(...framer.expect(reply));
  const scratch = Buffer.alloc(bytes.length);
  let previous = 0;
  for (const cut of [...cuts, bytes.length]) {
    const length = cut - previous;
    bytes.copy(scratch, 0, previous, cut);
    out.push(...framer.feed(scratch.subarray(0, length)));
    scratch.fill(0xa5);
    if (framer.state === 'awaiting-security') out.push(...secure(framer, role, encrypted));
    previous = cut;
  }
  return out;
}

export function secure(framer: ControlFramer, role: 'server' | 'client', encrypted: boolean): FramedMessage[] {
  if (!encrypted) return framer.useUnauthenticated();
  return role === 'server' ? framer.useKeys(KEYS, CLIENT_IV) : framer.useKeys(KEYS);
}
