// An in-memory ServerSessionHandler for tests and benchmarks: it records every call (with SIDs as
// hex so assertions compare content, never identity) and hands out ports from a counter instead
// of opening reflectors, so the control layer can be exercised without any UDP.
import { AcceptCode } from '@twamp/errors';
import type { ServerSessionHandler, ServerSessionRequest, SessionOpenResult } from '../../src/index.js';

export type HandlerCall =
  | { readonly kind: 'open'; readonly sid: string; readonly request: ServerSessionRequest }
  | { readonly kind: 'start'; readonly sids: readonly string[] }
  | { readonly kind: 'stop'; readonly sids: readonly string[] }
  | { readonly kind: 'release'; readonly sids: readonly string[] };

export interface RecordingHandlerOptions {
  /** First port handed out; each accepted request gets the next one. */
  readonly firstPort?: number;
  /** Decide per request (default: accept). */
  readonly decide?: (request: ServerSessionRequest) => SessionOpenResult | undefined;
  /** Keep only counts, not the calls (benchmarks and fuzzing: bounded memory). */
  readonly countOnly?: boolean;
}

export function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

export class RecordingHandler implements ServerSessionHandler {
  readonly calls: HandlerCall[] = [];
  readonly counts = { open: 0, start: 0, stop: 0, release: 0 };
  /** SIDs opened and not yet released (hex). */
  readonly live = new Set<string>();
  /**
   * SIDs opened and neither stopped nor released: what the server still owes us. A stopped session
   * is the owner's to release after its Timeout, so the server never has to release it.
   */
  readonly unsettled = new Set<string>();
  readonly #options: RecordingHandlerOptions;
  #nextPort: number;

  constructor(options: RecordingHandlerOptions = {}) {
    this.#options = options;
    this.#nextPort = options.firstPort ?? 40_000;
  }

  open(request: ServerSessionRequest): Promise<SessionOpenResult> {
    this.counts.open += 1;
    const sid = hex(request.sid);
    if (this.#options.countOnly !== true) this.calls.push({ kind: 'open', sid, request });
    const decided = this.#options.decide?.(request);
    if (decided !== undefined && decided.accept !== AcceptCode.Ok) return Promise.resolve(decided);
    this.live.add(sid);
    this.unsettled.add(sid);
    const port = decided?.port ?? this.#nextPort;
    this.#nextPort = this.#nextPort >= 65_000 ? 40_000 : this.#nextPort + 1;
    return Promise.resolve({ accept: AcceptCode.Ok, port });
  }

  start(sids: readonly Uint8Array[]): void {
    this.#record('start', sids);
  }

  stop(sids: readonly Uint8Array[]): void {
    for (const sid of sids) this.unsettled.delete(hex(sid));
    this.#record('stop', sids);
  }

  release(sids: readonly Uint8Array[]): void {
    for (const sid of sids) {
      this.live.delete(hex(sid));
      this.unsettled.delete(hex(sid));
    }
    this.#record('release', sids);
  }

  /** Every call of one kind, in order. */
  of<K extends HandlerCall['kind']>(kind: K): Extract<HandlerCall, { kind: K }>[] {
    return this.calls.filter((call): call is Extract<HandlerCall, { kind: K }> => call.kind === kind);
  }

  /** The SIDs of every start/stop/release call, flattened, in order. */
  sidsOf(kind: 'start' | 'stop' | 'release'): string[] {
    return this.of(kind).flatMap((call) => call.sids);
  }

  /** The requests the handler accepted or refused, in order. */
  get requests(): ServerSessionRequest[] {
    return this.of('open').map((call) => call.request);
  }

  #record(kind: 'start' | 'stop' | 'release', sids: readonly Uint8Array[]): void {
    this.counts[kind] += 1;
    if (this.#options.countOnly !== true) this.calls.push({ kind, sids: sids.map(hex) });
  }
}
