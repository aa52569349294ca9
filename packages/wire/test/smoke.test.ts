import { MalformedInputError } from '@twamp/errors';
import { describe, expect, it } from 'vitest';
import { need } from '../src/bytes.js';

describe('smoke', () => {
  it('throws typed error from source', () => {
    expect(() => { need(new Uint8Array(2), 0, 4, 'x', 'y'); }).toThrow(MalformedInputError);
  });
});
