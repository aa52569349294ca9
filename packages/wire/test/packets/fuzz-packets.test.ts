import { describe } from 'vitest';
import { decodeStampReflector, decodeStampSender, decodeTwampReflector, decodeTwampSender } from '../../src/packets/index.js';
import { fuzz, layouts, securities } from './fuzz-support.js';

describe('fuzz: packet decoders', () => {
  fuzz('decodeTwampSender', (b, rng) => decodeTwampSender(b, layouts[rng.below(layouts.length)]!), 1);
  fuzz('decodeTwampReflector', (b, rng) => decodeTwampReflector(b, layouts[rng.below(layouts.length)]!), 2);
  fuzz('decodeStampSender', (b, rng) => decodeStampSender(b, securities[rng.below(2)]!), 3);
  fuzz('decodeStampReflector', (b, rng) => decodeStampReflector(b, securities[rng.below(2)]!), 4);
});

