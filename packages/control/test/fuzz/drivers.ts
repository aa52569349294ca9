// The fuzz drivers shared by the fuzz suite (a bounded run, ≤ ~30 s) and scripts/fuzz.ts (millions
// of messages): each feeds seeded hostile input to a real ControlServer or ControlClient over
// loopback TCP and returns what it saw, so the caller asserts on the result.
import { createServer, connect, type Server, type Socket } from 'node:net';
import { isTwampError } from '@twamp/errors';
import {
  ACCEPT_SESSION_LENGTH,
  encodeAcceptSession,
  encodeServerGreeting,
  encodeServerStart,
  generateChallenge,
  generateSalt,
  Mode,
  SERVER_GREETING_LENGTH,
} from '@twamp/wire';
import { ControlClient } from '../../src/index.js';
import { KEY_ID, SECRET } from '../support/keys.js';
import { clientCase, mutatedRequest, Prng, serverCase, type Mutation } from '../support/mutators.js';
import { RawControlClient } from '../support/raw-client.js';

export interface Target {
  readonly address: string;
  readonly port: number;
}

/** Per-connection deadline: the server's own timeouts are far shorter; anything beyond is a hang. */
export const CLOSE_DEADLINE_MS = 5000;

/**
 * Field fuzz: one connection in open mode pipelining `count` Request-TW-Sessions whose framing
 * survives but whose fields are random. Every one must get its 48-octet Accept-Session (never
 * silence, never a close). Returns the Accept values seen, by value.
 */
export async function fuzzRequestFields(target: Target, seed: number, count: number, window = 128): Promise<Record<number, number>> {
  const prng = new Prng(seed);
  const raw = await RawControlClient.connect(target);
  try {
    const { serverStart } = await raw.setUp({ mode: Mode.Unauthenticated });
    if (serverStart.accept !== 0) throw new Error(`open mode refused: Accept ${serverStart.accept}`);
    const accepts: Record<number, number> = {};
    const base = raw.received.reduce((sum, chunk) => sum + chunk.length, 0);
    let sent = 0;
    while (sent < count) {
      const batch = Math.min(window, count - sent);
      const requests = Array.from({ length: batch }, () => mutatedRequest(prng));
      raw.write(Buffer.concat(requests));
      sent += batch;
      const want = base + sent * ACCEPT_SESSION_LENGTH;
      const deadline = Date.now() + CLOSE_DEADLINE_MS;
      while (raw.received.reduce((sum, chunk) => sum + chunk.length, 0) < want) {
        if (raw.closedYet) throw new Error(`the server closed the connection after ${sent - batch}+ field-fuzzed requests (seed ${seed})`);
        if (Date.now() > deadline) throw new Error(`no reply to every request within ${CLOSE_DEADLINE_MS} ms (seed ${seed}, ${sent} sent)`);
        await new Promise((resolve) => setImmediate(resolve));
      }
    }
    const replies = Buffer.concat(raw.received).subarray(base);
    if (replies.length !== count * ACCEPT_SESSION_LENGTH) throw new Error(`${replies.length} reply octets for ${count} requests`);
    for (let i = 0; i < count; i++) {
      const accept = replies[i * ACCEPT_SESSION_LENGTH] ?? -1;
      accepts[accept] = (accepts[accept] ?? 0) + 1;
    }
    return accepts;
  } finally {
    raw.destroy();
  }
}

export interface StreamResult {
  readonly connections: number;
  readonly messages: number;
  readonly byMutation: Partial<Record<Mutation, number>>;
  /** Connections the server closed before we ended ours (it refused the input). */
  readonly closedByServer: number;
  /** The slowest close after our last octet, ms. */
  readonly slowestCloseMs: number;
}

/** Sends one case on a fresh connection, ends our side, and waits for the connection to close. */
async function oneStream(target: Target, chunks: readonly Buffer[]): Promise<{ byServer: boolean; closeMs: number }> {
  const socket: Socket = connect({ host: target.address, port: target.port });
  socket.setNoDelay(true);
  let received = 0;
  let byServer = false;
  const closed = new Promise<void>((resolve) => socket.once('close', () => { resolve(); }));
  socket.on('error', () => {
    // Resets are one of the expected endings.
  });
  socket.on('data', (chunk: Buffer) => {
    received += chunk.length;
  });
  socket.once('end', () => {
    byServer = true;
  });
  try {
    // Wait for the greeting so the stream starts where the server's framer does.
    const greetingBy = Date.now() + CLOSE_DEADLINE_MS;
    while (received < SERVER_GREETING_LENGTH && !socket.closed) {
      if (Date.now() > greetingBy) throw new Error('no Server Greeting');
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    for (const chunk of chunks) {
      if (socket.destroyed) break;
      socket.write(chunk);
    }
    if (!socket.destroyed) socket.end();
    const endedAt = Date.now();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      closed,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => { reject(new Error(`connection still open ${CLOSE_DEADLINE_MS} ms after our FIN`)); }, CLOSE_DEADLINE_MS);
      }),
    ]).finally(() => { clearTimeout(timer); });
    return { byServer, closeMs: Date.now() - endedAt };
  } finally {
    socket.destroy();
  }
}

/** Stream fuzz: `count` connections, each carrying one mutated open-mode stream, `parallel` at a time. */
export async function fuzzStreams(target: Target, seed: number, count: number, parallel = 32): Promise<StreamResult> {
  const prng = new Prng(seed);
  const byMutation: Partial<Record<Mutation, number>> = {};
  let messages = 0;
  let closedByServer = 0;
  let slowestCloseMs = 0;
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) {
      const index = next++;
      const fuzz = serverCase(prng);
      byMutation[fuzz.mutation] = (byMutation[fuzz.mutation] ?? 0) + 1;
      messages += fuzz.messages;
      try {
        const { byServer, closeMs } = await oneStream(target, fuzz.chunks);
        if (byServer) closedByServer += 1;
        slowestCloseMs = Math.max(slowestCloseMs, closeMs);
      } catch (error) {
        throw new Error(`stream case ${index} (seed ${seed}, ${fuzz.mutation}): ${String(error)}`);
      }
    }
  };
  await Promise.all(Array.from({ length: parallel }, worker));
  return { connections: count, messages, byMutation, closedByServer, slowestCloseMs };
}

/**
 * Keyed-mode fuzz: a real encrypted setup, then one command whose ciphertext has random bits
 * flipped. A forged stream must end the connection; nothing may reach the owner unauthenticated.
 */
export async function fuzzEncrypted(target: Target, seed: number, count: number): Promise<number> {
  const prng = new Prng(seed);
  let closed = 0;
  for (let i = 0; i < count; i++) {
    const raw = await RawControlClient.connect(target);
    try {
      await raw.setUp({ mode: Mode.Encrypted, keyId: KEY_ID, secret: SECRET });
      const plain = serverCase(prng, 'valid').chunks.reduce((all, chunk) => Buffer.concat([all, chunk]));
      // Skip the Set-Up-Response (164 octets) of the generated stream: we already did a real one.
      const command = plain.subarray(164, 164 + 112);
      if (command.length < 32 || command.length % 16 !== 0) continue;
      raw.send(command, (wire) => {
        const flips = 1 + prng.below(4);
        for (let f = 0; f < flips; f++) {
          const at = prng.below(wire.length);
          wire[at] = (wire[at] ?? 0) ^ (1 << prng.below(8));
        }
      });
      raw.socket.end();
      await raw.closed(CLOSE_DEADLINE_MS);
      closed += 1;
    } finally {
      raw.destroy();
    }
  }
  return closed;
}

export interface ClientFuzzResult {
  readonly attempts: number;
  readonly connected: number;
  readonly typedRejections: number;
  /** Rejections that were not TwampErrors (the contract says every failure is typed). */
  readonly untyped: string[];
  readonly slowestMs: number;
}

/**
 * Client fuzz: a fake server answers each ControlClient with a (mutated) greeting, Server-Start
 * and reply, or garbage. The client must settle every connect/request within its timeout, with a
 * typed error when it fails.
 */
export async function fuzzClient(seed: number, count: number, timeoutMs = 300, parallel = 16): Promise<ClientFuzzResult> {
  const prng = new Prng(seed);
  const greeting = encodeServerGreeting({ modes: Mode.Unauthenticated, challenge: generateChallenge(), salt: generateSalt(), count: 1024 });
  const serverStart = encodeServerStart({ accept: 0, serverIv: new Uint8Array(16), startTime: { seconds: 3_900_000_000, fraction: 0 } });
  const reply = encodeAcceptSession({ accept: 0, port: 40_000, sid: Uint8Array.of(127, 0, 0, 1, ...new Uint8Array(12).fill(7)) });
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
    for (const chunk of clientCase(prng, greeting, serverStart, reply)) socket.write(chunk);
    // Leave the connection open half the time: the client's own timeout must end it.
    if (prng.chance(0.5)) socket.end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  let connected = 0;
  let typedRejections = 0;
  let slowestMs = 0;
  const untyped: string[] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) {
      const i = next++;
      const begun = Date.now();
      try {
        const client = await ControlClient.connect({ server: { address: '127.0.0.1', port: address.port }, allowedModes: Mode.Unauthenticated, timeoutMs });
        connected += 1;
        try {
          await client.requestSession();
        } finally {
          client.close();
        }
      } catch (error) {
        if (isTwampError(error)) typedRejections += 1;
        else if (untyped.length < 20) untyped.push(`case ${i}: ${String(error)}`);
      }
      slowestMs = Math.max(slowestMs, Date.now() - begun);
    }
  };
  try {
    await Promise.all(Array.from({ length: parallel }, worker));
  } finally {
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => { resolve(); }));
  }
  return { attempts: count, connected, typedRejections, untyped, slowestMs };
}
