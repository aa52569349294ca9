// openNegotiatedSender on real loopback sockets: the server side is the real ReflectorPool (the
// reflectors a TWAMP-Control server opens), the client is a stand-in for @twamp/control's client,
// which this layer may not import (the daemon's agent-negotiated-sender test runs the real pair).
// Checked: the order of the steps (request, start, then the sender), what the request asks for,
// that the sender uses the accepted layout, keys, padding and receiver (every packet answered in
// open and encrypted mode), and that an abandoned set-up leaves no sender running.
import { randomBytes } from 'node:crypto';
import { AcceptCode } from '@twamp/errors';
import { createTestPacketCrypto, Mode, type TestPacketCrypto, type TwampLayout, twampLayoutFromModes } from '@twamp/wire';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type AcceptedTestSession,
  type NegotiatedSessionRequest,
  type NegotiatingClient,
  openNegotiatedSender,
  ReflectorPool,
} from '../../src/controlled/index.js';
import { SessionSender, type SessionSenderOptions } from '../../src/sender/index.js';
import type { Endpoint } from '../../src/types.js';

const CONTROL = { aesKey: Buffer.alloc(16, 0x11), hmacKey: Buffer.alloc(32, 0x22) };
const LOOPBACK = '127.0.0.1';

const cleanup: (() => void)[] = [];
afterEach(() => {
  for (const f of cleanup.splice(0).reverse()) f();
});

interface Session extends AcceptedTestSession {
  readonly sid: Uint8Array;
}

/** What a control client does for these two commands, against a real ReflectorPool. */
class PoolClient implements NegotiatingClient<Session> {
  readonly local: Endpoint = { address: LOOPBACK, port: 40_000 };
  readonly steps: string[] = [];
  readonly requests: NegotiatedSessionRequest[] = [];
  readonly #pool: ReflectorPool;
  readonly #mode: number;
  readonly #layout: TwampLayout;
  #sid: Uint8Array | undefined;

  constructor(pool: ReflectorPool, mode: number) {
    this.#pool = pool;
    this.#mode = mode;
    this.#layout = twampLayoutFromModes(mode);
  }

  async requestSession(request: NegotiatedSessionRequest): Promise<Session> {
    this.steps.push('request');
    this.requests.push(request);
    const sid = randomBytes(16);
    const createCrypto = (): TestPacketCrypto | undefined => (this.#mode === Mode.Unauthenticated ? undefined : createTestPacketCrypto(this.#mode, CONTROL, sid));
    const session = {
      sid,
      layout: this.#layout,
      createCrypto,
      sender: { address: request.sender.address ?? this.local.address, port: request.sender.port },
      receiver: { address: LOOPBACK, port: request.receiver.port },
      paddingLength: request.paddingLength ?? 27,
    };
    const result = await this.#pool.open({ ...session, requestedReceiverPort: request.receiver.port, timeoutSeconds: request.timeoutSeconds ?? 2, dscp: request.dscp });
    if (result.accept !== AcceptCode.Ok) throw new Error(`refused: ${result.reason}`);
    this.#sid = sid;
    return { ...session, receiver: { address: LOOPBACK, port: result.port } };
  }

  async startSessions(): Promise<void> {
    this.steps.push('start');
    if (this.#sid !== undefined) this.#pool.start([this.#sid]);
    await Promise.resolve();
  }
}

function pool(): ReflectorPool {
  const p = new ReflectorPool({ portRange: 'ephemeral' });
  cleanup.push(() => {
    p.close();
  });
  return p;
}

const SETTINGS = { schedule: { kind: 'periodic', intervalMs: 5 }, count: 20, lossTimeoutMs: 1000 } as const;

function opener(client: PoolClient, opened: SessionSender[] = []): (options: SessionSenderOptions) => Promise<SessionSender> {
  return async (options) => {
    client.steps.push('open');
    const sender = await SessionSender.open(options);
    opened.push(sender);
    cleanup.push(() => {
      sender.stop();
    });
    return sender;
  };
}

describe('openNegotiatedSender', () => {
  it.each([
    ['open', Mode.Unauthenticated],
    ['authenticated', Mode.Authenticated],
    ['encrypted', Mode.Encrypted],
  ])('requests, starts, then sends with the accepted layout, keys and receiver (%s mode): every packet answered', async (_name, mode) => {
    const client = new PoolClient(pool(), mode);
    const { session, sender, options } = await openNegotiatedSender({ client, sender: SETTINGS, openSender: opener(client) });
    expect(client.steps).toEqual(['request', 'start', 'open']);
    // No local address given: the request leaves it unspecified; a free port was reserved for it.
    const [request] = client.requests;
    expect(request?.sender.address).toBeUndefined();
    expect(request?.sender.port).toBeGreaterThan(0);
    expect(request?.receiver.port).toBe(0);
    expect(options).toMatchObject({
      protocol: 'twamp',
      family: 4,
      target: session.receiver,
      local: { address: LOOPBACK, port: request?.sender.port },
      layout: session.layout,
      padding: session.paddingLength,
      count: 20,
    });
    expect(options.crypto === undefined).toBe(mode === Mode.Unauthenticated);
    const report = await sender.done;
    expect(report.summary.loss.sent).toBe(20);
    expect(report.summary.loss.received).toBe(20);
    expect(report.malformedReplies).toBe(0);
  });

  it('asks for what it is given and reserves no port when one is given', async () => {
    const client = new PoolClient(pool(), Mode.Unauthenticated);
    const { sender, options } = await openNegotiatedSender({
      client,
      localAddress: LOOPBACK,
      localPort: 0,
      receiverPort: 0,
      paddingLength: 100,
      timeoutSeconds: 5,
      dscp: 46,
      sender: (accepted) => ({ ...SETTINGS, count: accepted.paddingLength === 100 ? 3 : 1 }),
      openSender: opener(client),
    });
    expect(client.requests[0]).toEqual({ sender: { address: LOOPBACK, port: options.local?.port }, receiver: { port: 0 }, paddingLength: 100, timeoutSeconds: 5, dscp: 46 });
    expect(options.padding).toBe(100);
    expect((await sender.done).summary.loss.received).toBe(3);

    const fixed = new PoolClient(pool(), Mode.Unauthenticated);
    const noReserve = (): Promise<number> => Promise.reject(new Error('no port should be reserved'));
    const second = await openNegotiatedSender({ client: fixed, localPort: 45_678, sender: SETTINGS, reservePort: noReserve, openSender: opener(fixed) });
    expect(fixed.requests[0]?.sender.port).toBe(45_678);
    expect(second.options.local?.port).toBe(45_678);
    second.sender.stop();
  });

  it('opens no sender when the request is refused', async () => {
    const client = new PoolClient(pool(), Mode.Unauthenticated);
    client.requestSession = (request) => {
      client.steps.push('request');
      client.requests.push(request);
      return Promise.reject(new Error('Accept 2'));
    };
    await expect(openNegotiatedSender({ client, sender: SETTINGS, openSender: opener(client) })).rejects.toThrow('Accept 2');
    expect(client.steps).toEqual(['request']);
  });

  it('stops a sender that opened after the set-up was abandoned', async () => {
    const client = new PoolClient(pool(), Mode.Unauthenticated);
    const opened: SessionSender[] = [];
    let steps = 0;
    // The fourth step (the sender) is abandoned, as the daemon does for a target stopped meanwhile.
    const step = async <V>(promise: Promise<V>): Promise<V> => {
      const value = await promise;
      steps += 1;
      if (steps === 4) throw new Error('abandoned');
      return value;
    };
    await expect(openNegotiatedSender({ client, sender: { ...SETTINGS, count: 100_000 }, step, openSender: opener(client, opened) })).rejects.toThrow('abandoned');
    expect(opened).toHaveLength(1);
    const report = await Promise.race([opened[0]?.done, new Promise((resolve) => setTimeout(resolve, 5000, 'still running'))]);
    expect(report).not.toBe('still running');
    expect((report as Awaited<SessionSender['done']>).summary.loss.sent).toBeLessThan(100_000);
  });

  it('abandoned before the sender: none is opened', async () => {
    const client = new PoolClient(pool(), Mode.Unauthenticated);
    const step = async <V>(promise: Promise<V>): Promise<V> => {
      await promise;
      if (client.steps.includes('start')) throw new Error('abandoned');
      return promise;
    };
    await expect(openNegotiatedSender({ client, sender: SETTINGS, step, openSender: opener(client) })).rejects.toThrow('abandoned');
    expect(client.steps).toEqual(['request', 'start']);
  });
});
