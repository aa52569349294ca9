// Fuzz the session-command decoders (see fuzz-suite.ts).
import { fuzzDecoders } from './fuzz-suite.js';

fuzzDecoders(['accept-session', 'start-sessions', 'start-ack', 'stop-sessions']);
