import { type AcceptSession, encodeAcceptSession } from './accept-session.js';
import { encodeRequestTwSession, type RequestTwSession } from './request-tw-session.js';
import { encodeServerGreeting, type ServerGreeting } from './server-greeting.js';
import { encodeServerStart, type ServerStart } from './server-start.js';
import { encodeSetUpResponse, type SetUpResponse } from './set-up-response.js';
import { encodeStartAck, type StartAck } from './start-ack.js';
import { encodeStartNAck, type StartNAck } from './start-n-ack.js';
import { encodeStartNSessions, type StartNSessions } from './start-n-sessions.js';
import { encodeStartSessions, type StartSessions } from './start-sessions.js';
import { encodeStopNAck, type StopNAck } from './stop-n-ack.js';
import { encodeStopNSessions, type StopNSessions } from './stop-n-sessions.js';
import { encodeStopSessions, type StopSessions } from './stop-sessions.js';

/** The `type` tag of every TWAMP-Control message. */
export const ControlMessageType = {
  ServerGreeting: 'server-greeting',
  SetUpResponse: 'set-up-response',
  ServerStart: 'server-start',
  RequestTwSession: 'request-tw-session',
  AcceptSession: 'accept-session',
  StartSessions: 'start-sessions',
  StartAck: 'start-ack',
  StopSessions: 'stop-sessions',
  StartNSessions: 'start-n-sessions',
  StartNAck: 'start-n-ack',
  StopNSessions: 'stop-n-sessions',
  StopNAck: 'stop-n-ack',
} as const;

export type ControlMessageType = (typeof ControlMessageType)[keyof typeof ControlMessageType];

/** Every TWAMP-Control message, as decoded plaintext. Switch on `type`. */
export type ControlMessage =
  | ServerGreeting
  | SetUpResponse
  | ServerStart
  | RequestTwSession
  | AcceptSession
  | StartSessions
  | StartAck
  | StopSessions
  | StartNSessions
  | StartNAck
  | StopNSessions
  | StopNAck;

/**
 * Encode any decoded (or hand-built) message back to its plaintext bytes. Mostly for tests and
 * tools; a sender that knows what it sends calls the specific encoder.
 */
export function encodeControlMessage(message: ControlMessage): Buffer {
  switch (message.type) {
    case 'server-greeting':
      return encodeServerGreeting(message);
    case 'set-up-response':
      return encodeSetUpResponse(message);
    case 'server-start':
      return encodeServerStart(message);
    case 'request-tw-session':
      return encodeRequestTwSession(message);
    case 'accept-session':
      return encodeAcceptSession(message);
    case 'start-sessions':
      return encodeStartSessions(message);
    case 'start-ack':
      return encodeStartAck(message);
    case 'stop-sessions':
      return encodeStopSessions(message);
    case 'start-n-sessions':
      return encodeStartNSessions(message);
    case 'start-n-ack':
      return encodeStartNAck(message);
    case 'stop-n-sessions':
      return encodeStopNSessions(message);
    case 'stop-n-ack':
      return encodeStopNAck(message);
  }
}
