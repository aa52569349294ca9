// The Session-Sender's public API.
export { LATE_SEND_MS, SessionSender, type SenderScheduleReport, type SessionSenderReport, type StampReflectorReport } from './sender.js';
export { IMIX_CYCLE, MAX_UDP_PAYLOAD, PRECISE_BELOW_MS, type SessionSenderOptions } from './options.js';
