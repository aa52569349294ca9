import { createHash } from 'node:crypto';

/** Octets from a hex string; spaces and newlines are ignored so vectors can be typed as printed. */
export function hex(text: string): Buffer {
  const compact = text.replace(/\s+/g, '');
  if (compact.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(compact)) throw new Error(`bad hex: ${text}`);
  return Buffer.from(compact, 'hex');
}

/**
 * A deterministic stand-in for crypto.randomBytes: SHA-256 in counter mode over a seed, so a test
 * failure can be replayed exactly.
 */
export function seededRandom(seed: string): (size: number) => Buffer {
  let counter = 0;
  return (size: number) => {
    const chunks: Buffer[] = [];
    let have = 0;
    while (have < size) {
      const block = createHash('sha256').update(`${seed}:${counter}`).digest();
      counter += 1;
      chunks.push(block);
      have += block.length;
    }
    return Buffer.concat(chunks).subarray(0, size);
  };
}
