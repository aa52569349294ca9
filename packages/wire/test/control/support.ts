// Shared helpers for the control-message tests: hex vectors, value normalisation, decoder table.
import { createHmac } from 'node:crypto';
import {
  type ControlMessage,
  type ControlMessageType,
  decodeAcceptSession,
  decodeRequestTwSession,
  decodeServerGreeting,
  decodeServerStart,
  decodeSetUpResponse,
  decodeStartAck,
  decodeStartNAck,
  decodeStartNSessions,
  decodeStartSessions,
  decodeStopNAck,
  decodeStopNSessions,
  decodeStopSessions,
  writeAcceptSession,
  writeRequestTwSession,
  writeServerGreeting,
  writeServerStart,
  writeSetUpResponse,
  writeStartAck,
  writeStartNAck,
  writeStartNSessions,
  writeStartSessions,
  writeStopNAck,
  writeStopNSessions,
  writeStopSessions,
} from '../../src/control/index.js';

/** Octets from hex text; spaces and newlines are ignored so fields can be grouped. */
export function hex(...parts: readonly (string | Uint8Array)[]): Buffer {
  return Buffer.concat(
    parts.map((part) => {
      if (typeof part !== 'string') return Buffer.from(part);
      const clean = part.replace(/\s+/g, '');
      if (!/^(?:[0-9a-f]{2})*$/i.test(clean)) throw new Error(`bad hex: ${part}`);
      return Buffer.from(clean, 'hex');
    }),
  );
}

/** `count` octets of `value`. */
export function fill(value: number, count: number): Buffer {
  return Buffer.alloc(count, value);
}

/** `count` octets counting up from `start` (mod 256): easy to spot in a hex dump. */
export function seq(start: number, count: number): Buffer {
  return Buffer.from(Array.from({ length: count }, (_, i) => (start + i) & 0xff));
}

/**
 * A comparable copy: every Uint8Array becomes `hex:<octets>`, so a Buffer and a Uint8Array with
 * the same octets compare equal and a diff shows the octets.
 */
export function norm(value: unknown): unknown {
  if (value instanceof Uint8Array) return `hex:${Buffer.from(value).toString('hex')}`;
  if (Array.isArray(value)) return value.map(norm);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, entry]) => [key, norm(entry)]));
  }
  return value;
}

export type Decoder = (input: Uint8Array, offset?: number) => ControlMessage;
type Writer = (target: Uint8Array, offset: number, value: never) => number;

export const DECODERS: Readonly<Record<ControlMessageType, Decoder>> = {
  'server-greeting': decodeServerGreeting,
  'set-up-response': decodeSetUpResponse,
  'server-start': decodeServerStart,
  'request-tw-session': decodeRequestTwSession,
  'accept-session': decodeAcceptSession,
  'start-sessions': decodeStartSessions,
  'start-ack': decodeStartAck,
  'stop-sessions': decodeStopSessions,
  'start-n-sessions': decodeStartNSessions,
  'start-n-ack': decodeStartNAck,
  'stop-n-sessions': decodeStopNSessions,
  'stop-n-ack': decodeStopNAck,
};

const WRITERS: Readonly<Record<ControlMessageType, Writer>> = {
  'server-greeting': writeServerGreeting,
  'set-up-response': writeSetUpResponse,
  'server-start': writeServerStart,
  'request-tw-session': writeRequestTwSession,
  'accept-session': writeAcceptSession,
  'start-sessions': writeStartSessions,
  'start-ack': writeStartAck,
  'stop-sessions': writeStopSessions,
  'start-n-sessions': writeStartNSessions,
  'start-n-ack': writeStartNAck,
  'stop-n-sessions': writeStopNSessions,
  'stop-n-ack': writeStopNAck,
};

/** Write through the message's own `write*` function into `target` at `offset`. */
export function writeMessage(target: Uint8Array, offset: number, message: ControlMessage): number {
  return WRITERS[message.type](target, offset, message as never);
}

/** HMAC-SHA1 truncated to 16 octets, computed independently of the code under test. */
export function hmac16(key: Uint8Array, ...parts: readonly Uint8Array[]): Buffer {
  const h = createHmac('sha1', key);
  for (const part of parts) h.update(part);
  return h.digest().subarray(0, 16);
}

/** Small deterministic PRNG (mulberry32) so fuzz failures reproduce from the seed. */
export function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
