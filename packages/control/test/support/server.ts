// Starts a real ControlServer on loopback (ephemeral port) with a RecordingHandler, and connects
// real ControlClients to it, with the defaults the integration tests share.
import { Mode } from '@twamp/wire';
import {
  ControlClient,
  type ControlClientOptions,
  ControlServer,
  type ControlServerOptions,
} from '../../src/index.js';
import { KEY_ID, memoryKeys, secretBytes } from './keys.js';
import { RecordingHandler } from './recording-handler.js';

export const SECURITY_MODES = Mode.Unauthenticated | Mode.Authenticated | Mode.Encrypted | Mode.Mixed;
export const EXTENSION_MODES = Mode.IndividualSessionControl | Mode.ReflectOctets | Mode.SymmetricalSize;

/** The lowest PBKDF2 count RFC 4656 allows: keeps the keyed-mode tests fast. */
export const FAST_PBKDF2 = 1024;

export type ServerOverrides = Partial<Omit<ControlServerOptions, 'handler'>> & { readonly address?: string };

export interface Started {
  readonly server: ControlServer;
  readonly handler: RecordingHandler;
  readonly endpoint: { readonly address: string; readonly port: number };
}

export async function startServer(overrides: ServerOverrides = {}, handler = new RecordingHandler()): Promise<Started> {
  const server = await ControlServer.listen({
    modes: SECURITY_MODES | EXTENSION_MODES,
    keys: memoryKeys(),
    pbkdf2Count: FAST_PBKDF2,
    address: '127.0.0.1',
    port: 0,
    ...overrides,
    handler,
  });
  return { server, handler, endpoint: { address: server.address, port: server.port } };
}

export function connectClient(endpoint: Started['endpoint'], options: Partial<ControlClientOptions> = {}): Promise<ControlClient> {
  return ControlClient.connect({
    server: endpoint,
    keyId: KEY_ID,
    secret: secretBytes(),
    timeoutMs: 3000,
    ...options,
  });
}

/** Polls `condition` until it holds or `ms` pass (server-side effects land after the client's promise). */
export async function eventually(condition: () => boolean, ms = 2000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`${what} did not hold within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

let nextSenderPort = 30_000;

/**
 * Request options with a distinct, non-zero Sender Port: a real sender names the UDP port it sends
 * from, and the server refuses Sender Port 0 with Accept 3.
 */
export function withSenderPort<T extends object>(options?: T): T & { sender: { port: number } } {
  nextSenderPort = nextSenderPort >= 39_999 ? 30_000 : nextSenderPort + 1;
  return { ...(options ?? ({} as T)), sender: { port: nextSenderPort } };
}
