// What every STAMP TLV module provides (one module per type, collected in table.ts), and the state a
// reflector's fill reads and writes. Adding a type: see CONTRIBUTING.md "Adding a STAMP TLV".

/** Every typed TLV carries its kind and the raw STAMP TLV Flags octet. */
export interface TypedTlv {
  readonly kind: string;
  readonly flags: number;
}

/** What a sender's request TLV may depend on (the CLI's `--tlv name[=value]`). */
export interface SenderTlvOptions {
  /** The Flags octet to send (RFC 8972 §4: the sender sets U). */
  readonly flags: number;
  /** Class of Service: the DSCP the reply should carry (DSCP1). */
  readonly dscp1: number;
}

/**
 * What the reflector knows about the packet it is reflecting, for the per-type fills. One object,
 * reused for every packet (the fills run on the hot path and allocate nothing). Subclass it to supply
 * the addresses lazily (test-session's TlvFillState does, per session).
 */
export class ReflectorTlvContext {
  /** Received TOS / Traffic Class, or -1 when the socket cannot read it. */
  receivedTos = -1;
  /** The socket can set the reply's TOS (DSCP1 can be honoured). */
  canSetTos = false;
  /** Timestamp Information: the clock's Synchronization Source and the Timestamping Methods of T2 / T3. */
  syncSource = 0;
  timestampIn = 0;
  timestampOut = 0;
  /** Location: the reflector's UDP port (Destination Port) and the sender's (Source Port). */
  localPort = 0;
  peerPort = 0;
  /** Direct Measurement: requests received (R_RxC) and replies sent (R_TxC), this packet included. */
  receivedCount = 0;
  sentCount = 0;
  /** Outputs: DSCP1 of an understood Class of Service TLV (-1: none) and the first HMAC TLV's offset (-1: none). */
  dscp1 = -1;
  hmacAt = -1;

  /** Location: the address the request arrived at (4 or 16 octets), or empty when unknown. */
  localAddress(): Uint8Array {
    return NO_ADDRESS;
  }

  /** Location: the address the request came from (4 or 16 octets), or empty when unknown. */
  peerAddress(): Uint8Array {
    return NO_ADDRESS;
  }
}

export const NO_ADDRESS: Uint8Array = new Uint8Array(0);

/**
 * The reflector's part of a TLV it understood, written in place into the reply (which holds a copy of
 * the request's TLV). `offset` is the TLV's header, `value` its Value, `end` where it ends; the Length
 * has been checked against the spec. A fill may set U on its own TLV when it cannot answer after all.
 */
export type TlvFill = (reply: Uint8Array, offset: number, value: number, end: number, context: ReflectorTlvContext) => void;

/** Whether the reflector of this toolkit understands (clears U on) a type. */
export const ReflectorSupport = {
  /** Understood and, where `fill` says, filled. */
  Understood: 'understood',
  /** Understood only when the reflector holds a key (HMAC). */
  WithKey: 'with-key',
  /** Reflected with U = 1 (RFC 8972 §4). `reflectorNote` says why. */
  NotUnderstood: 'not-understood',
} as const;

export type ReflectorSupport = (typeof ReflectorSupport)[keyof typeof ReflectorSupport];

/**
 * One STAMP TLV type. Methods (not function properties) so that specs of different value types sit in
 * one table; `decode` and `encode` see only the Value, the table adds the header.
 */
export interface TlvSpec<T extends TypedTlv = TypedTlv> {
  /** The IANA STAMP TLV Type. */
  readonly type: number;
  /** The key in `TlvType` (PascalCase). */
  readonly key: string;
  /** The `kind` of the typed value (StampTlv). */
  readonly kind: T['kind'];
  /** The name users type (`twamp sender --tlv <name>`) and the docs list. */
  readonly name: string;
  /** Other spellings `--tlv` accepts. */
  readonly aliases: readonly string[];
  /** Human title, as the RFC writes it. */
  readonly title: string;
  /** Where the format is defined. */
  readonly reference: string;
  /**
   * The valid Value lengths (RFC text): from `min` to `max`, and when `only` is there, only those.
   * Data, not a function: the table turns it into per-type arrays the reflector checks per TLV.
   */
  readonly length: { readonly min: number; readonly max: number; readonly only?: readonly number[] };
  /** What the Value holds, for the docs' length column. */
  readonly lengthNote?: string;
  /** Decode a Value whose length the rule accepted. `offset` is the TLV's position, for errors only. */
  decode(value: Uint8Array, flags: number, offset: number): T;
  /** Encode the Value; RangeError for a field out of range. */
  encode(tlv: T): Uint8Array;
  /** Present when `twamp sender --tlv` can ask for this TLV: the request it sends. */
  readonly sender?: {
    /** Help text for the option: what the reflector returns. */
    readonly help: string;
    /** Where `--tlv` lists it (help, errors, docs): 1 first. The CLI has listed them in this order since it had them. */
    readonly order: number;
    /** `name=<value>`: what the value is (only Class of Service takes one, a DSCP). */
    readonly value?: 'dscp';
    request(options: SenderTlvOptions): T;
  };
  readonly reflector: ReflectorSupport;
  /** What the reflector writes into the TLV; absent when it needs nothing (or does not understand it). */
  readonly fill?: TlvFill;
  /** Why the reflector does not fill or understand it, when that is a decision. */
  readonly reflectorNote?: string;
}

export const TLV_WHAT = 'STAMP TLV';

/** An unsigned `bits`-bit field for an encoder; RangeError otherwise. */
export function uint(value: number, bits: number, field: string): number {
  if (!Number.isInteger(value) || value < 0 || value >= 2 ** bits) {
    throw new RangeError(`${field} must be an unsigned ${bits}-bit integer, got ${value}`);
  }
  return value;
}
