import { describe, expect, it } from 'vitest';
import {
  applyReflectorTlvFlags,
  createStampReflectContext,
  createTwampReflectContext,
  type ReflectContext,
  reflectInto,
  tlvEnd,
  understoodTlvTypes,
} from '../../src/packets/index.js';
import { CASES, input, layouts } from './fuzz-support.js';
import { Rng } from './helpers.js';

const SENTINEL = 0xcc;
const GUARD = 64;

function contexts(): ReflectContext[] {
  const out: ReflectContext[] = [];
  for (const layout of layouts) {
    out.push(createTwampReflectContext({ layout, stateful: true }));
    out.push(createTwampReflectContext({ layout, stateful: false }));
  }
  for (const security of ['open', 'authenticated'] as const) {
    out.push(createStampReflectContext({ security }));
    const failing = createStampReflectContext({ security, stateful: false, understoodTlvs: understoodTlvTypes([1, 2, 3, 4, 5, 6, 7, 8]) });
    failing.hmacFailed = true;
    out.push(failing);
  }
  return out;
}

describe('fuzz: reflectInto', () => {
  it(`${CASES} random, truncated and mutated requests: never throws, never writes past the reply`, () => {
    const rng = new Rng(42);
    const ctxs = contexts();
    const scratch = Buffer.alloc(512);
    const backing = Buffer.alloc(700 + GUARD);
    let replies = 0;
    let refusals = 0;
    for (let i = 0; i < CASES; i++) {
      const request = input(rng, scratch);
      const ctx = ctxs[rng.below(ctxs.length)]!;
      ctx.receivedTtl = rng.below(256);
      ctx.receivedTos = rng.below(256);
      // Mostly the real length; sometimes a lie (too long, negative, fractional) that must be refused.
      const pick = rng.below(16);
      const length = pick === 0 ? request.length + 1 + rng.below(10) : pick === 1 ? -1 : pick === 2 ? 0.5 : request.length;
      const replySize = rng.below(8) === 0 ? rng.below(150) : 700;
      backing.fill(SENTINEL);
      const reply = backing.subarray(0, replySize);
      let result: number;
      try {
        result = reflectInto(request, length, reply, ctx);
      } catch (error) {
        throw new Error(`case ${i}: reflectInto threw ${String(error)} for ${request.toString('hex')}`);
      }
      const written = result < 0 ? 0 : result;
      if (result > replySize || (result >= 0 && result < Math.min(length, 41))) {
        throw new Error(`case ${i}: bad reply length ${result} (request ${length}, reply buffer ${replySize})`);
      }
      for (let j = written; j < backing.length; j++) {
        if (backing[j] !== SENTINEL) {
          throw new Error(`case ${i}: octet ${j} written past the reply (${result})`);
        }
      }
      if (result < 0) {
        refusals++;
      } else {
        replies++;
      }
    }
    expect(replies + refusals).toBe(CASES);
    expect(replies).toBeGreaterThan(CASES / 2);
    expect(refusals).toBeGreaterThan(0);
  });

  it(`${CASES} TLV areas: the flag pass reads and writes only inside [start, end)`, () => {
    const rng = new Rng(7);
    const scratch = Buffer.alloc(512);
    const a = Buffer.alloc(600);
    const b = Buffer.alloc(600);
    const understood = understoodTlvTypes([1, 3, 4, 5, 7, 8]);
    for (let i = 0; i < CASES; i++) {
      const area = input(rng, scratch);
      const start = rng.below(32);
      const end = start + area.length;
      // Same area, different surroundings: the outcome must not depend on them.
      a.fill(0x00);
      b.fill(0xff);
      area.copy(a, start);
      area.copy(b, start);
      const hmacFailed = rng.below(4) === 0;
      const ra = applyReflectorTlvFlags(a, start, end, understood, hmacFailed);
      const rb = applyReflectorTlvFlags(b, start, end, understood, hmacFailed);
      if (ra !== rb || !a.subarray(start, end).equals(b.subarray(start, end))) {
        throw new Error(`case ${i}: the result depends on octets outside the area`);
      }
      for (let j = 0; j < a.length; j++) {
        if ((j < start || j >= end) && (a[j] !== 0x00 || b[j] !== 0xff)) {
          throw new Error(`case ${i}: octet ${j} outside the area was written`);
        }
      }
      if (ra >= 0 && (ra < start || ra >= end)) {
        throw new Error(`case ${i}: malformed offset ${ra} outside [${start}, ${end})`);
      }
      if (area.length >= 4 && tlvEnd(a, start, end) > end) {
        throw new Error(`case ${i}: tlvEnd past the end`);
      }
    }
  });
});
