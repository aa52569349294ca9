// The control-stream framer in unauthenticated mode: framing at every split, pause and resume,
// unknown commands, resource bounds and end-of-stream handling.
import { MalformedInputError, ResourceLimitError } from '@twamp/errors';
import { describe, expect, it } from 'vitest';
import {
  ControlFramer,
  DEFAULT_MAX_SESSIONS_PER_MESSAGE,
  encodeAcceptSession,
  encodeStartNAck,
  encodeStartSessions,
  encodeStopSessions,
  type FramedMessage,
} from '../../src/control/index.js';
import { caught } from '../support/thrown.js';
import { describeFramingAtEverySplit } from './framing-suite.js';
import { fill, hex, norm } from './support.js';
import { clientStream, GREETING, SERVER_START, SET_UP_CLEAR, serverStream } from './streams.js';

const CLIENT = clientStream(false);
const SERVER = serverStream(false);

describeFramingAtEverySplit(false);

describe('server framer: pause and resume around Set-Up-Response', () => {
  it('holds everything after Set-Up-Response until the owner declares the mode', () => {
    const framer = new ControlFramer({ role: 'server' });
    expect(framer.state).toBe('set-up-response');
    const first = framer.feed(CLIENT.bytes);
    expect(first.map((m) => m.type)).toEqual(['set-up-response']);
    expect(framer.state).toBe('awaiting-security');
    expect(framer.paused).toBe(true);
    expect(framer.buffered).toBe(CLIENT.bytes.length - 164);
    // More input while paused is only buffered.
    expect(framer.feed(encodeStartSessions())).toEqual([]);
    expect(framer.buffered).toBe(CLIENT.bytes.length - 164 + 32);
    const rest = framer.useUnauthenticated();
    expect(norm(rest)).toEqual(norm([...CLIENT.expected.slice(1), { type: 'start-sessions', hmac: fill(0, 16) }]));
    expect(framer.state).toBe('commands');
    expect(framer.paused).toBe(false);
    expect(framer.buffered).toBe(0);
  });

  it('does not read a command before Set-Up-Response is complete', () => {
    const framer = new ControlFramer({ role: 'server' });
    expect(framer.feed(SET_UP_CLEAR.subarray(0, 163))).toEqual([]);
    expect(framer.buffered).toBe(163);
    expect(framer.feed(SET_UP_CLEAR.subarray(163)).map((m) => m.type)).toEqual(['set-up-response']);
  });
});

describe('client framer: pause and resume around Server-Start', () => {
  it('waits after the greeting until the owner declares the mode', () => {
    const framer = new ControlFramer({ role: 'client' });
    framer.expect('accept-session');
    const first = framer.feed(Buffer.concat([GREETING, SERVER_START, encodeAcceptSession({ accept: 0, port: 862 })]));
    expect(first.map((m) => m.type)).toEqual(['server-greeting']);
    expect(framer.state).toBe('awaiting-security');
    expect(framer.paused).toBe(true);
    expect(framer.buffered).toBe(96);
    expect(framer.useUnauthenticated().map((m) => m.type)).toEqual(['server-start', 'accept-session']);
    expect(framer.state).toBe('replies');
    expect(framer.paused).toBe(true);
  });

  it('does not pause when the mode was declared before the greeting', () => {
    const framer = new ControlFramer({ role: 'client' });
    expect(framer.useUnauthenticated()).toEqual([]);
    framer.expect('accept-session');
    framer.expect('start-ack');
    expect(norm(framer.feed(SERVER.bytes.subarray(0, 64 + 48 + 48 + 32)))).toEqual(norm(SERVER.expected.slice(0, 4)));
  });

  it('holds replies until they are announced, in the announced order', () => {
    const framer = new ControlFramer({ role: 'client' });
    framer.useUnauthenticated();
    expect(framer.feed(SERVER.bytes).map((m) => m.type)).toEqual(['server-greeting', 'server-start']);
    expect(framer.paused).toBe(true);
    expect(framer.buffered).toBe(SERVER.bytes.length - 112);
    expect(framer.expect('accept-session').map((m) => m.type)).toEqual(['accept-session']);
    expect(framer.expecting).toEqual([]);
    expect(framer.expect('start-ack').map((m) => m.type)).toEqual(['start-ack']);
    expect(norm(framer.expect('start-n-ack'))).toEqual(norm([SERVER.expected[4]]));
    expect(norm(framer.expect('stop-n-ack'))).toEqual(norm([SERVER.expected[5]]));
    expect(framer.buffered).toBe(0);
  });

  it('treats a refusing Server-Start as the end: octets 32-47 in clear, later input dropped', () => {
    const framer = new ControlFramer({ role: 'client' });
    framer.useKeys({ aesKey: fill(1, 16), hmacKey: fill(2, 32) });
    const refusal = hex(fill(0, 15), '01', fill(0x77, 16), fill(0, 16));
    const out = framer.feed(Buffer.concat([GREETING, refusal, fill(0x99, 40)]));
    expect(norm(out[1])).toEqual(
      norm({ type: 'server-start', accept: 1, serverIv: fill(0x77, 16), startTime: { seconds: 0, fraction: 0 } }),
    );
    expect(framer.state).toBe('rejected');
    expect(framer.buffered).toBe(0);
    expect(framer.feed(fill(0x99, 100))).toEqual([]);
    expect(framer.buffered).toBe(0);
  });

  it('checks the command number of Start-N-Ack and Stop-N-Ack', () => {
    const framer = new ControlFramer({ role: 'client' });
    framer.useUnauthenticated();
    framer.feed(Buffer.concat([GREETING, SERVER_START]));
    const stopAck = encodeStartNAck({ accept: 0, sids: [fill(1, 16)] });
    stopAck[0] = 10;
    const error = caught(() => framer.expect('start-n-ack').concat(framer.feed(stopAck)));
    expect(error).toBeInstanceOf(MalformedInputError);
    expect((error as MalformedInputError).what).toBe('Start-N-Ack');
    expect((error as MalformedInputError).field).toBe('Command Number');
    expect(framer.state).toBe('failed');
  });
});

describe('unknown and forbidden commands', () => {
  it.each([0, 1, 4, 6, 8, 10, 11, 12, 0x80, 0xff])('command %i gets a typed result, then the framer is closed', (command) => {
    const framer = new ControlFramer({ role: 'server' });
    framer.feed(SET_UP_CLEAR);
    framer.useUnauthenticated();
    const block = hex(command.toString(16).padStart(2, '0'), fill(0x3c, 15));
    const out = framer.feed(Buffer.concat([encodeStartSessions(), block, encodeStartSessions()]));
    expect(norm(out)).toEqual(
      norm([
        { type: 'start-sessions', hmac: fill(0, 16) },
        { type: 'unknown-command', command, block },
      ]),
    );
    expect(framer.state).toBe('failed');
    expect(framer.buffered).toBe(0);
    const error = caught(() => framer.feed(encodeStartSessions()));
    expect(error).toBeInstanceOf(MalformedInputError);
    // The Accept value a server answers with before it closes (RFC 5357 §3.5, IANA).
    expect((error as MalformedInputError).acceptCode).toBe(3);
    expect((error as MalformedInputError).field).toBe('Command Number');
  });

  it('reports the unknown command as soon as its first block is in', () => {
    const framer = new ControlFramer({ role: 'server' });
    framer.feed(SET_UP_CLEAR);
    framer.useUnauthenticated();
    expect(framer.feed(hex('0c', fill(0, 14)))).toEqual([]);
    expect(framer.feed(hex('00')).map((m) => m.type)).toEqual(['unknown-command']);
  });
});

describe('resource bounds', () => {
  const ready = (options: { maxSessionsPerMessage?: number } = {}): ControlFramer => {
    const framer = new ControlFramer({ role: 'server', ...options });
    framer.feed(SET_UP_CLEAR);
    framer.useUnauthenticated();
    return framer;
  };

  it('defaults to 1024 SIDs per message and holds at most one largest message', () => {
    const framer = new ControlFramer({ role: 'server' });
    expect(DEFAULT_MAX_SESSIONS_PER_MESSAGE).toBe(1024);
    expect(framer.maxSessionsPerMessage).toBe(1024);
    expect(framer.maxBuffered).toBe(32 + 16 * 1024);
    expect(new ControlFramer({ role: 'client', maxSessionsPerMessage: 2 }).maxBuffered).toBe(164);
  });

  it.each([
    [7, 'Start-N-Sessions'],
    [9, 'Stop-N-Sessions'],
  ])('N = 0xFFFFFFFF in command %i is a ResourceLimitError before anything is allocated', (command, name) => {
    const framer = ready();
    const before = process.memoryUsage().arrayBuffers;
    const error = caught(() => framer.feed(hex(`0${command}`, fill(0, 11), 'ffffffff')));
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(1 << 20);
    expect(error).toBeInstanceOf(ResourceLimitError);
    const limit = error as ResourceLimitError;
    expect(limit.limit).toBe(`${name} Number of Sessions`);
    expect(limit.max).toBe(1024);
    expect(limit.requested).toBe(0xffffffff);
    expect(limit.acceptCode).toBe(4);
    expect(framer.state).toBe('failed');
    expect(framer.buffered).toBe(0);
    expect(caught(() => framer.feed(fill(0, 16)))).toBe(error);
  });

  it('accepts N up to the configured maximum and refuses N + 1', () => {
    const sids = (n: number): Buffer => Buffer.concat(Array.from({ length: n }, (_, i) => fill(i + 1, 16)));
    const ok = ready({ maxSessionsPerMessage: 3 });
    const three = ok.feed(hex('07', fill(0, 11), '00000003', sids(3), fill(0, 16)));
    expect(three.map((m) => m.type)).toEqual(['start-n-sessions']);
    const error = caught(() => ready({ maxSessionsPerMessage: 3 }).feed(hex('07', fill(0, 11), '00000004')));
    expect(error).toBeInstanceOf(ResourceLimitError);
    expect((error as ResourceLimitError).requested).toBe(4);
  });

  it('refuses a huge N in Start-N-Ack on the client side too', () => {
    const framer = new ControlFramer({ role: 'client', maxSessionsPerMessage: 8 });
    framer.useUnauthenticated();
    framer.expect('start-n-ack');
    const error = caught(() => framer.feed(Buffer.concat([GREETING, SERVER_START, hex('08', fill(0, 11), '00000009')])));
    expect(error).toBeInstanceOf(ResourceLimitError);
    expect((error as ResourceLimitError).limit).toBe('Start-N-Ack Number of Sessions');
  });

  it('bounds what a paused framer buffers, checked before the chunk is copied', () => {
    const framer = new ControlFramer({ role: 'server' });
    framer.feed(SET_UP_CLEAR);
    expect(framer.feed(fill(0, framer.maxBuffered - 10))).toEqual([]);
    expect(framer.feed(fill(0, 10))).toEqual([]);
    expect(framer.buffered).toBe(framer.maxBuffered);
    const error = caught(() => framer.feed(fill(0, 1)));
    expect(error).toBeInstanceOf(ResourceLimitError);
    expect((error as ResourceLimitError).limit).toBe('control framer buffer');
    expect((error as ResourceLimitError).requested).toBe(framer.maxBuffered + 1);
    expect(framer.buffered).toBe(0);
  });

  it('bounds what is left after framing when one chunk overfills a pause', () => {
    const framer = new ControlFramer({ role: 'server' });
    const error = caught(() => framer.feed(Buffer.concat([SET_UP_CLEAR, fill(2, framer.maxBuffered + 1)])));
    expect(error).toBeInstanceOf(ResourceLimitError);
  });

  it('bounds unsolicited server data while the client expects nothing', () => {
    const framer = new ControlFramer({ role: 'client' });
    framer.useUnauthenticated();
    framer.feed(Buffer.concat([GREETING, SERVER_START]));
    expect(caught(() => framer.feed(fill(0, framer.maxBuffered + 1)))).toBeInstanceOf(ResourceLimitError);
  });

  it('frames a chunk much larger than the bound when it is made of whole messages', () => {
    const framer = ready();
    const many = Buffer.concat(Array.from({ length: 1000 }, () => encodeStartSessions()));
    expect(framer.feed(many)).toHaveLength(1000);
    expect(framer.buffered).toBe(0);
  });

  it('refuses an invalid maximum', () => {
    expect(() => new ControlFramer({ role: 'server', maxSessionsPerMessage: -1 })).toThrow(RangeError);
    expect(() => new ControlFramer({ role: 'server', maxSessionsPerMessage: 1.5 })).toThrow(RangeError);
  });
});

describe('end of stream', () => {
  const commands = (): ControlFramer => {
    const framer = new ControlFramer({ role: 'server' });
    framer.feed(SET_UP_CLEAR);
    framer.useUnauthenticated();
    return framer;
  };
  /** twamp-rs: command 3, Accept, 2 MBZ, 16-octet HMAC; no Number of Sessions. */
  const LEGACY = (accept: number): Buffer => hex('03', accept.toString(16).padStart(2, '0'), '0000', fill(0, 16));

  it('returns nothing when no message is partly received', () => {
    const framer = commands();
    framer.feed(encodeStartSessions());
    expect(framer.end()).toEqual([]);
    expect(framer.state).toBe('ended');
    expect(() => framer.feed(fill(0, 1))).toThrow('the framer has ended');
  });

  it.each([0, 1])('accepts the 20-octet twamp-rs Stop-Sessions (Accept %i) in unauthenticated mode', (accept) => {
    const framer = commands();
    expect(framer.feed(LEGACY(accept))).toEqual([]);
    expect(framer.buffered).toBe(20);
    const out: FramedMessage[] = framer.end();
    expect(out).toEqual([{ type: 'legacy-stop-sessions', accept }]);
  });

  it('does not take the first 20 octets of a split 32-octet Stop-Sessions for the short form', () => {
    const framer = commands();
    const stop = encodeStopSessions({ accept: 0, numberOfSessions: 1 });
    expect(framer.feed(stop.subarray(0, 20))).toEqual([]);
    expect(norm(framer.feed(stop.subarray(20)))).toEqual(
      norm([{ type: 'stop-sessions', accept: 0, numberOfSessions: 1, hmac: fill(0, 16) }]),
    );
  });

  it('reports any other partial message as malformed', () => {
    const framer = commands();
    framer.feed(CLIENT.bytes.subarray(164, 164 + 100));
    const error = caught(() => framer.end());
    expect(error).toBeInstanceOf(MalformedInputError);
    expect((error as MalformedInputError).what).toBe('Request-TW-Session');
    expect((error as MalformedInputError).reason).toBe('the stream ended 100 octets into an incomplete message');
  });

  it('reports octets left before the mode is known', () => {
    const framer = new ControlFramer({ role: 'server' });
    framer.feed(Buffer.concat([SET_UP_CLEAR, LEGACY(0)]));
    expect(caught(() => framer.end())).toBeInstanceOf(MalformedInputError);
  });
});

describe('misuse by the owner is reported and does not break the framer', () => {
  it('server: keys need the Client-IV; the mode is set once, after Set-Up-Response', () => {
    const framer = new ControlFramer({ role: 'server' });
    expect(() => framer.useUnauthenticated()).toThrow('the security mode cannot be set in state set-up-response');
    framer.feed(SET_UP_CLEAR);
    expect(() => framer.useKeys({ aesKey: fill(0, 16), hmacKey: fill(0, 32) })).toThrow(TypeError);
    expect(() => framer.expect('start-ack')).toThrow('expect() is for client framers');
    expect(framer.state).toBe('awaiting-security');
    framer.useUnauthenticated();
    expect(() => framer.useUnauthenticated()).toThrow('the security mode is already set');
    expect(framer.feed(encodeStartSessions()).map((m) => m.type)).toEqual(['start-sessions']);
  });

  it('client: keys take no IV, and cannot be set once Server-Start is read', () => {
    const framer = new ControlFramer({ role: 'client' });
    expect(() => framer.useKeys({ aesKey: fill(0, 16), hmacKey: fill(0, 32) }, fill(0, 16))).toThrow(TypeError);
    framer.useUnauthenticated();
    framer.feed(Buffer.concat([GREETING, SERVER_START]));
    expect(framer.state).toBe('replies');
  });
});
