// TWAMP-Control messages (RFC 4656 §3, RFC 5357 §3, RFC 5938, RFC 6038): plaintext codecs and
// the incremental framer that decrypts, verifies and frames a control stream.
//
// Decoders COPY every octet-string field (Challenge, Salt, KeyID, Token, IVs, SIDs, HMACs) out of
// the input, unlike the test-packet decoders, which return views: control messages are few and are
// kept (a SID names its session until Stop-Sessions, keys live as long as the connection), so a
// decoded message must never change when the caller or the framer reuses the buffer it came from.
export {
  decodeServerGreeting,
  encodeServerGreeting,
  SERVER_GREETING_LENGTH,
  type ServerGreeting,
  type ServerGreetingFields,
  ServerGreetingOffset,
  writeServerGreeting,
} from './server-greeting.js';
export {
  CLIENT_IV_LENGTH,
  decodeSetUpResponse,
  encodeSetUpResponse,
  KEY_ID_LENGTH,
  SET_UP_RESPONSE_LENGTH,
  type SetUpResponse,
  type SetUpResponseFields,
  SetUpResponseOffset,
  TOKEN_LENGTH,
  writeSetUpResponse,
} from './set-up-response.js';
export {
  decodeServerStart,
  encodeServerStart,
  SERVER_IV_LENGTH,
  SERVER_START_ENCRYPTED_OFFSET,
  SERVER_START_LENGTH,
  type ServerStart,
  type ServerStartFields,
  ServerStartOffset,
  writeServerStart,
} from './server-start.js';
export {
  decodeRequestTwSession,
  encodeRequestTwSession,
  REQUEST_TW_SESSION_LENGTH,
  type RequestTwSession,
  type RequestTwSessionFields,
  RequestTwSessionOffset,
  writeRequestTwSession,
} from './request-tw-session.js';
export {
  ACCEPT_SESSION_LENGTH,
  type AcceptSession,
  type AcceptSessionFields,
  AcceptSessionOffset,
  decodeAcceptSession,
  encodeAcceptSession,
  writeAcceptSession,
} from './accept-session.js';
export {
  decodeStartSessions,
  encodeStartSessions,
  START_SESSIONS_LENGTH,
  type StartSessions,
  type StartSessionsFields,
  StartSessionsOffset,
  writeStartSessions,
} from './start-sessions.js';
export {
  decodeStartAck,
  encodeStartAck,
  START_ACK_LENGTH,
  type StartAck,
  type StartAckFields,
  StartAckOffset,
  writeStartAck,
} from './start-ack.js';
export {
  decodeStopSessions,
  encodeStopSessions,
  STOP_SESSIONS_LENGTH,
  type StopSessions,
  type StopSessionsFields,
  StopSessionsOffset,
  writeStopSessions,
} from './stop-sessions.js';
export { SessionListOffset, sessionListLength } from './session-list.js';
export {
  decodeStartNSessions,
  encodeStartNSessions,
  type StartNSessions,
  type StartNSessionsFields,
  writeStartNSessions,
} from './start-n-sessions.js';
export { decodeStartNAck, encodeStartNAck, type StartNAck, type StartNAckFields, writeStartNAck } from './start-n-ack.js';
export {
  decodeStopNSessions,
  encodeStopNSessions,
  type StopNSessions,
  type StopNSessionsFields,
  writeStopNSessions,
} from './stop-n-sessions.js';
export { decodeStopNAck, encodeStopNAck, type StopNAck, type StopNAckFields, writeStopNAck } from './stop-n-ack.js';
export { type ControlMessage, ControlMessageType, encodeControlMessage } from './message.js';
export {
  ControlFramer,
  type ControlFramerOptions,
  DEFAULT_MAX_SESSIONS_PER_MESSAGE,
  type ExpectedReply,
  type FramedMessage,
  type FramerRole,
  FramerState,
  type LegacyStopSessions,
  type UnknownCommand,
} from './framer.js';
