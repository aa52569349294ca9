import { need } from '../bytes.js';

/** One field of a message layout: where it starts, for naming the field a truncation cuts into. */
export interface FieldStart {
  readonly name: string;
  readonly offset: number;
}

/**
 * Check that `length` octets of a message are present before anything is read.
 *
 * One check up front (rather than one per field) means a decoder either reads a whole message or
 * nothing; the error still names the first field the input is too short for, which is what a
 * log reader needs to tell a short read from a peer speaking a different layout.
 */
export function needMessage(
  input: Uint8Array,
  offset: number,
  length: number,
  what: string,
  fields: readonly FieldStart[],
): void {
  const available = input.length - offset;
  if (available >= length) return;
  let field: FieldStart = fields[0] ?? { name: 'message', offset: 0 };
  for (const candidate of fields) {
    if (candidate.offset > available) break;
    field = candidate;
  }
  need(input, offset + field.offset, length - field.offset, what, field.name);
}
