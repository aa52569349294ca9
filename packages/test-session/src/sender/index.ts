// The Session-Sender's public API.
export { LATE_SEND_MS, SessionSender, type SenderScheduleReport, type SessionSenderReport, type StampReflectorReport } from './sender.js';
export { IMIX_CYCLE, PRECISE_BELOW_MS, type SessionSenderOptions } from './options.js';
// Defined once in @twamp/wire; re-exported because callers size their padding against it.
export { MAX_UDP_PAYLOAD } from '@twamp/wire';
