import { MalformedInputError } from '@twamp/errors';

/**
 * Bounds checks shared by every decoder. Decoders call `need` before reading a field, so a
 * truncated input becomes a MalformedInputError naming the field, never a RangeError or a
 * read of stale memory.
 */
export function need(input: Uint8Array, offset: number, length: number, what: string, field: string): void {
  if (offset + length > input.length) {
    throw new MalformedInputError({
      what,
      field,
      offset,
      reason: `needs ${length} octet${length === 1 ? '' : 's'}, only ${Math.max(0, input.length - offset)} left`,
    });
  }
}

/**
 * Room for `length` octets at `offset` in a target the caller supplied. A RangeError, not a
 * MalformedInputError: a target too small is a bug in the caller, never bad input from a peer.
 */
export function checkTarget(target: Uint8Array, offset: number, length: number, what: string): void {
  if (!Number.isInteger(offset) || offset < 0 || offset + length > target.length) {
    throw new RangeError(`${what} needs ${length} octets at offset ${offset}; the target holds ${target.length}`);
  }
}

export function malformed(what: string, field: string, offset: number, reason: string): MalformedInputError {
  return new MalformedInputError({ what, field, offset, reason });
}

/** View any Uint8Array as a Buffer without copying (Buffer gives fast big-endian accessors). */
export function asBuffer(input: Uint8Array): Buffer {
  return Buffer.isBuffer(input) ? input : Buffer.from(input.buffer, input.byteOffset, input.byteLength);
}

/**
 * A copy of `length` octets at `offset`, detached from the input (safe to keep after the input is
 * reused). The control decoders use it for every octet-string field; the test-packet decoders take
 * subarray views instead (see control/index.ts and packets/index.ts for why each).
 */
export function copyBytes(input: Uint8Array, offset: number, length: number): Uint8Array {
  return Uint8Array.prototype.slice.call(input, offset, offset + length);
}

/** Write `value` at `offset`, or zeros when it is undefined; `value` must be exactly `length` long. */
export function writeBytes(target: Uint8Array, offset: number, length: number, value: Uint8Array | undefined, field: string): void {
  if (value === undefined) {
    target.fill(0, offset, offset + length);
    return;
  }
  if (value.length !== length) {
    throw new RangeError(`${field} must be ${length} octets, got ${value.length}`);
  }
  target.set(value, offset);
}
