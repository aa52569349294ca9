// Programmable impairments of the memory network, per direction of a link: delay, jitter, loss,
// duplication, reordering and hops (TTL decrements), drawn from a seeded stream per rule so the
// same seed gives the same fates; or a function that decides each packet's fate by its index.

import { ConfigError, type ConfigIssue } from '@twamp/errors';
import { parseSelector, selects, type Selector } from './address.js';
import { mixSeed, RANDOM_RANGE, SeededRandom, threshold } from './random.js';

/** Which packets a rule applies to: by source and by destination ('addr', 'addr:port', '[v6]:port', '*:port'). */
export interface LinkSelector {
  readonly from?: string;
  readonly to?: string;
}

/** A packet as an impairment's `decide` function sees it (one object, reused: read it during the call). */
export interface LinkPacket {
  readonly fromAddress: string;
  readonly fromPort: number;
  readonly toAddress: string;
  readonly toPort: number;
  /** Octets sent. */
  readonly length: number;
  /** TTL / Hop Limit as sent. */
  readonly ttl: number;
  readonly tos: number;
  /** The packet's octets (a view, valid during the call). */
  payload(): Uint8Array;
}

/** What `decide` says about one packet; undefined (or {}) delivers it with the rule's delay. */
export interface PacketFate {
  /** Lose it. */
  readonly drop?: boolean;
  /** Extra copies to deliver (each arrives right after the original). */
  readonly duplicates?: number;
  /** Delay added to the rule's `delayMs` for this packet. */
  readonly delayMs?: number;
}

export interface ImpairmentSpec {
  /** Delay of every packet, in milliseconds (exact to the nanosecond on a virtual clock). Default 0. */
  readonly delayMs?: number;
  /** Uniform jitter in ± jitterMs around delayMs (the total is never below 0). Default 0. */
  readonly jitterMs?: number;
  /** Probability (0..1) a packet is lost. */
  readonly loss?: number;
  /** Probability (0..1) a packet is delivered twice. */
  readonly duplicate?: number;
  /** Probability (0..1) a packet is held back by reorderDelayMs, so later packets overtake it. */
  readonly reorder?: number;
  /** How long a reordered packet is held back, in milliseconds. Default 1: choose more than the packet interval. */
  readonly reorderDelayMs?: number;
  /** Routers on the link: the TTL / Hop Limit drops by this many; a packet whose TTL runs out is lost. Default 0. */
  readonly hops?: number;
  /**
   * Decide each packet's fate by its index among the packets this rule has matched (0, 1, ...).
   * When given, it replaces loss, duplicate, reorder and jitter of this rule (delayMs and hops still apply).
   */
  readonly decide?: (index: number, packet: LinkPacket) => PacketFate | undefined;
}

/** A rule in force; remove() lifts it. */
export interface Impairment {
  /** Packets the rule has matched so far (the next packet's index for `decide`). */
  readonly matched: number;
  remove(): void;
}

/** What the matching rules did to one packet, summed over the rules (one object, reused). */
export class Fate {
  drop = false;
  duplicates = 0;
  delayNs = 0;
  hops = 0;
  reordered = false;

  reset(): void {
    this.drop = false;
    this.duplicates = 0;
    this.delayNs = 0;
    this.hops = 0;
    this.reordered = false;
  }
}

const NANOS_PER_MILLI = 1_000_000;

function toNanos(ms: number): number {
  return Math.round(ms * NANOS_PER_MILLI);
}

/** A value as text for a ConfigError. */
export function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint' || value === undefined || value === null) return String(value);
  return typeof value;
}

function checkSpec(spec: ImpairmentSpec): void {
  const issues: ConfigIssue[] = [];
  const number = (path: keyof ImpairmentSpec, min: number, max: number, integer = false): void => {
    const value: unknown = spec[path];
    if (value === undefined) return;
    if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max || (integer && !Number.isInteger(value))) {
      issues.push({ path, expected: `${integer ? 'an integer' : 'a number'} from ${min} to ${max}`, received: describe(value) });
    }
  };
  number('delayMs', 0, 86_400_000);
  number('jitterMs', 0, 86_400_000);
  number('loss', 0, 1);
  number('duplicate', 0, 1);
  number('reorder', 0, 1);
  number('reorderDelayMs', 0, 86_400_000);
  number('hops', 0, 255, true);
  const decide: unknown = spec.decide;
  if (decide !== undefined && typeof decide !== 'function') issues.push({ path: 'decide', expected: 'a function', received: typeof decide });
  if (issues.length > 0) throw new ConfigError(issues);
}

export class ImpairmentRule implements Impairment {
  readonly #from: Selector;
  readonly #to: Selector;
  readonly #delayNs: number;
  readonly #jitterNs: number;
  /** Thresholds of the draws (see random.ts): probability × 2^30. */
  readonly #loss: number;
  readonly #duplicate: number;
  readonly #reorder: number;
  readonly #reorderDelayNs: number;
  readonly #hops: number;
  readonly #decide: ImpairmentSpec['decide'];
  readonly #random: SeededRandom;
  readonly #onRemove: (rule: ImpairmentRule) => void;
  #matched = 0;

  constructor(link: LinkSelector, spec: ImpairmentSpec, seed: number, stream: number, onRemove: (rule: ImpairmentRule) => void) {
    this.#from = parseSelector('from', link.from);
    this.#to = parseSelector('to', link.to);
    checkSpec(spec);
    this.#delayNs = toNanos(spec.delayMs ?? 0);
    this.#jitterNs = toNanos(spec.jitterMs ?? 0);
    this.#loss = threshold(spec.loss ?? 0);
    this.#duplicate = threshold(spec.duplicate ?? 0);
    this.#reorder = threshold(spec.reorder ?? 0);
    this.#reorderDelayNs = toNanos(spec.reorderDelayMs ?? 1);
    this.#hops = spec.hops ?? 0;
    this.#decide = spec.decide;
    this.#random = new SeededRandom(mixSeed(seed, stream));
    this.#onRemove = onRemove;
  }

  get matched(): number {
    return this.#matched;
  }

  remove(): void {
    this.#onRemove(this);
  }

  matches(fromAddress: string, fromPort: number, toAddress: string, toPort: number): boolean {
    return selects(this.#from, fromAddress, fromPort) && selects(this.#to, toAddress, toPort);
  }

  /** Add this rule's effect on the next packet it matches to `fate`. */
  apply(fate: Fate, packet: LinkPacket): void {
    const index = this.#matched++;
    fate.delayNs += this.#delayNs;
    fate.hops += this.#hops;
    const decide = this.#decide;
    if (decide !== undefined) {
      const verdict = decide(index, packet);
      if (verdict === undefined) return;
      if (verdict.drop === true) fate.drop = true;
      const duplicates = verdict.duplicates ?? 0;
      if (Number.isInteger(duplicates) && duplicates > 0) fate.duplicates += duplicates;
      const extra = verdict.delayMs ?? 0;
      if (Number.isFinite(extra) && extra > 0) fate.delayNs += toNanos(extra);
      return;
    }
    // Four draws per packet whatever the settings, so one setting never shifts another's stream.
    const random = this.#random;
    const lose = random.next() < this.#loss;
    const twice = random.next() < this.#duplicate;
    const holdBack = random.next() < this.#reorder;
    const jitter = random.next();
    if (lose) fate.drop = true;
    if (twice) fate.duplicates += 1;
    if (holdBack) {
      fate.delayNs += this.#reorderDelayNs;
      fate.reordered = true;
    }
    if (this.#jitterNs > 0) fate.delayNs += Math.round(((2 * jitter) / RANDOM_RANGE - 1) * this.#jitterNs);
  }
}
