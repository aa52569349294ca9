// Fuzz the connection-setup decoders (see fuzz-suite.ts).
import { fuzzDecoders } from './fuzz-suite.js';

fuzzDecoders(['server-greeting', 'set-up-response', 'server-start', 'request-tw-session']);
