/**
 * Allocation-free big-endian access for the per-packet paths (the reflector, the test-packet crypto,
 * the timestamp writers). Buffer's own writeUInt32BE validates its argument and offset again on every
 * call and Buffer.copy builds a temporary view for partial copies; these helpers index the bytes
 * directly so the hot paths stay free of garbage and of checks already made. Callers check bounds
 * first (bytes.ts: need for input, checkTarget for a target): writes past the end are dropped silently.
 */

export function get16(b: Uint8Array, o: number): number {
  return ((b[o] ?? 0) << 8) | (b[o + 1] ?? 0);
}

export function get32(b: Uint8Array, o: number): number {
  return (((b[o] ?? 0) << 24) | ((b[o + 1] ?? 0) << 16) | ((b[o + 2] ?? 0) << 8) | (b[o + 3] ?? 0)) >>> 0;
}

export function put16(b: Uint8Array, o: number, v: number): void {
  b[o] = v >>> 8;
  b[o + 1] = v;
}

export function put32(b: Uint8Array, o: number, v: number): void {
  b[o] = v >>> 24;
  b[o + 1] = v >>> 16;
  b[o + 2] = v >>> 8;
  b[o + 3] = v;
}

/** Copy `n` octets; source and target must not overlap in a way that a forward copy would corrupt. */
export function copyOctets(src: Uint8Array, srcStart: number, dst: Uint8Array, dstStart: number, n: number): void {
  for (let i = 0; i < n; i++) {
    dst[dstStart + i] = src[srcStart + i] ?? 0;
  }
}

/** Zero [start, end): reused reply buffers hold the previous packet, and MBZ must really be zero. */
export function zero(dst: Uint8Array, start: number, end: number): void {
  for (let i = start; i < end; i++) {
    dst[i] = 0;
  }
}
