// Fuzz the RFC 5938 stop decoders (see fuzz-suite.ts).
import { fuzzDecoders } from './fuzz-suite.js';

fuzzDecoders(['stop-n-sessions', 'stop-n-ack']);
