// One reflector session's state: its reflect context (sequence counter, offsets), protection, rate
// bucket, counters and lifecycle times. One object per session, mutated in place per packet.
import type { ReflectContext, TestPacketCrypto } from '@twamp/wire';
import type { TestProtocol } from '../types.js';
import type { TokenBucket } from './rate-limit.js';

/** SendOptions the reflector owns and mutates per packet. */
export interface ReplyOptions {
  stampOffset?: number;
  tos?: number;
}

export interface SessionInit {
  readonly key: string;
  readonly protocol: TestProtocol;
  readonly address: string;
  readonly port: number;
  readonly local: string;
  readonly ssid: number;
  readonly ctx: ReflectContext;
  readonly crypto: TestPacketCrypto | undefined;
  readonly stampKey: Uint8Array | undefined;
  /** STAMP authenticated mode: the base HMAC (octets 0-95) is checked and written. */
  readonly stampAuthenticated: boolean;
  /** Reply TOS for this session (a negotiated Type-P DSCP), or -1 to use the reflector's rule. */
  readonly tos: number;
  readonly nowMs: number;
  readonly sid: Uint8Array | undefined;
}

export class ReflectorSession {
  key: string;
  readonly protocol: TestProtocol;
  address: string;
  port: number;
  local: string;
  readonly ssid: number;
  readonly ctx: ReflectContext;
  readonly crypto: TestPacketCrypto | undefined;
  readonly stampKey: Uint8Array | undefined;
  readonly stampAuthenticated: boolean;
  readonly tos: number;
  /**
   * Where the socket writes T3 just before sending (stampOffset), or -1. Only when T3 lies outside
   * what the HMAC covers or the cipher encrypts: TWAMP encrypted (0-95 encrypted) and STAMP
   * authenticated (HMAC over 0-95) need T3 before the crypto runs, so the reflector writes it.
   */
  readonly lateStamp: number;
  /** Reply options, made once per session and mutated per packet (tos): no object per reply. */
  readonly lateOptions: ReplyOptions | undefined;
  readonly lateTosOptions: ReplyOptions;
  readonly tosOptions: ReplyOptions;
  /** Requests seen (R_RxC) and replies sent (R_TxC, also `packets`). */
  received = 0;
  packets = 0;
  readonly createdMs: number;
  lastSeenMs: number;
  /** After stop(timeout): the last moment a packet is still answered; -1 while running. */
  stopAtMs = -1;
  stopTimer: NodeJS.Timeout | undefined;
  /** Per-session rate cap, when configured. */
  bucket: TokenBucket | undefined;
  /** The source's bucket (shared by the source's sessions), when a per-source cap is configured. */
  sourceBucket: TokenBucket | undefined;
  /** Next session with the same source address, port and SSID (another local address). */
  next: ReflectorSession | undefined;
  /** In the lookup table (false before a registered session's first packet, and once forgotten). */
  inTable = false;
  /**
   * Made on first packet and answered once so far: the first to go when a table or a source's share
   * is full (a forged packet makes exactly such a session). Linked oldest to newest by the table.
   */
  probation = false;
  olderOnProbation: ReflectorSession | undefined;
  newerOnProbation: ReflectorSession | undefined;
  /** Forgotten: expired, stopped or closed. */
  gone = false;
  /** Registered sessions: the SID (16 octets). */
  readonly sid: Uint8Array | undefined;
  /** Raw source and local address octets, made on the first Location TLV that needs them. */
  sourceOctets: Uint8Array | undefined;
  localOctets: Uint8Array | undefined;

  constructor(init: SessionInit, lateStamp: number) {
    this.key = init.key;
    this.protocol = init.protocol;
    this.address = init.address;
    this.port = init.port;
    this.local = init.local;
    this.ssid = init.ssid;
    this.ctx = init.ctx;
    this.crypto = init.crypto;
    this.stampKey = init.stampKey;
    this.stampAuthenticated = init.stampAuthenticated;
    this.tos = init.tos;
    this.lateStamp = lateStamp;
    this.lateOptions = lateStamp >= 0 ? { stampOffset: lateStamp } : undefined;
    this.lateTosOptions = lateStamp >= 0 ? { stampOffset: lateStamp, tos: 0 } : { tos: 0 };
    this.tosOptions = { tos: 0 };
    this.createdMs = init.nowMs;
    this.lastSeenMs = init.nowMs;
    this.sid = init.sid;
  }
}
