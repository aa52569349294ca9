// The framer on encrypted streams (authenticated, encrypted and mixed modes share the control
// encryption): a full exchange in both directions sealed with ControlStreamEncryptor, split at
// every boundary, and HMAC tampering.
import { AuthenticationError, MalformedInputError, ResourceLimitError } from '@twamp/errors';
import { describe, expect, it } from 'vitest';
import { ControlStreamEncryptor } from '../../src/crypto/control-stream.js';
import { ControlFramer, encodeStartSessions } from '../../src/control/index.js';
import { caught } from '../support/thrown.js';
import { describeFramingAtEverySplit } from './framing-suite.js';
import { fill, hex, hmac16, norm } from './support.js';
import {
  CLIENT_IV,
  clientStream,
  GREETING,
  KEYS,
  SERVER_START,
  serverStream,
  SET_UP_CLEAR,
  SET_UP_ENCRYPTED,
} from './streams.js';

const CLIENT = clientStream(true);
const SERVER = serverStream(true);

describeFramingAtEverySplit(true, (role, stream) => {
  it('a flipped bit in any message after setup is an AuthenticationError, and the framer stays failed', () => {
    // Every octet of every sealed message: a change anywhere garbles the plaintext (CBC) or the
    // HMAC, so the message must never be emitted. Server-Start 32-47 is covered by the first HMAC.
    const firstSealed = role === 'server' ? 164 : 64 + 32;
    for (let at = firstSealed; at < stream.bytes.length; at++) {
      const tampered = Buffer.from(stream.bytes);
      tampered[at] = (tampered[at] ?? 0) ^ 0x01;
      const framer = new ControlFramer({ role });
      const seen: string[] = [];
      if (role === 'client') for (const reply of ['accept-session', 'start-ack', 'start-n-ack', 'stop-n-ack'] as const) framer.expect(reply);
      // One message per feed, so every message framed before the failure is observed.
      const error = caught(() => {
        let start = 0;
        for (const end of stream.ends) {
          seen.push(...framer.feed(tampered.subarray(start, end)).map((m) => m.type));
          if (framer.state === 'awaiting-security') {
            seen.push(...(role === 'server' ? framer.useKeys(KEYS, CLIENT_IV) : framer.useKeys(KEYS)).map((m) => m.type));
          }
          start = end;
        }
      });
      // Messages before the tampered one come out (Server-Start too: its encrypted half has no
      // HMAC of its own and is caught by the first reply's). A flip in a first block can also
      // read as an unknown command, a wrong reply number or a huge N: framing stops either way.
      const tamperedIndex = stream.ends.findIndex((end) => at < end);
      const emitted = role === 'client' && tamperedIndex === 1 ? 2 : tamperedIndex;
      expect(seen.filter((type) => type !== 'unknown-command')).toEqual(stream.expected.slice(0, emitted).map((m) => m.type));
      if (error === undefined) {
        expect(seen.at(-1)).toBe('unknown-command');
      } else {
        expect([AuthenticationError, ResourceLimitError, MalformedInputError].some((type) => error instanceof type)).toBe(true);
        expect(framer.state).toBe('failed');
        expect(caught(() => framer.feed(fill(0, 16)))).toBe(error);
      }
    }
  });
});

describe('HMAC verification', () => {
  it('a flipped bit in the HMAC field of each message is an AuthenticationError naming the message', () => {
    const names = ['Request-TW-Session', 'Start-Sessions', 'Start-N-Sessions', 'Stop-N-Sessions', 'Stop-Sessions'];
    CLIENT.ends.slice(1).forEach((end, index) => {
      const tampered = Buffer.from(CLIENT.bytes);
      tampered[end - 1] = (tampered[end - 1] ?? 0) ^ 0x80;
      const framer = new ControlFramer({ role: 'server' });
      framer.feed(tampered.subarray(0, 164));
      framer.useKeys(KEYS, CLIENT_IV);
      const error = caught(() => framer.feed(tampered.subarray(164)));
      expect(error).toBeInstanceOf(AuthenticationError);
      expect((error as AuthenticationError).reason).toBe('hmac-mismatch');
      expect((error as AuthenticationError).message).toBe(`${names[index]!} failed its HMAC check`);
    });
  });

  it('a client with the wrong HMAC key refuses the first reply', () => {
    const framer = new ControlFramer({ role: 'client' });
    framer.expect('accept-session');
    framer.useKeys({ aesKey: KEYS.aesKey, hmacKey: fill(0x99, 32) });
    const error = caught(() => framer.feed(SERVER.bytes));
    expect(error).toBeInstanceOf(AuthenticationError);
    expect((error as AuthenticationError).message).toBe('Accept-Session failed its HMAC check');
  });

  it('the server first HMAC must cover Server-Start octets 32-47: an HMAC over Accept-Session alone fails', () => {
    const encryptor = new ControlStreamEncryptor(KEYS, SERVER_START.subarray(16, 32));
    const tail = encryptor.encryptUncovered(SERVER_START.subarray(32));
    // A peer that forgot the rule: encrypt its own wrong HMAC with the right chain.
    const plain = Buffer.alloc(48);
    hmac16(KEYS.hmacKey, plain.subarray(0, 32)).copy(plain, 32);
    const wrong = new ControlStreamEncryptor(KEYS, tail);
    const sealedWrong = wrong.encryptUncovered(plain);
    const framer = new ControlFramer({ role: 'client' });
    framer.useKeys(KEYS);
    framer.expect('accept-session');
    const error = caught(() => framer.feed(Buffer.concat([GREETING, SERVER_START.subarray(0, 32), tail, sealedWrong])));
    expect(error).toBeInstanceOf(AuthenticationError);
  });

  it('unknown commands in an encrypted stream report the decrypted first block', () => {
    const encryptor = new ControlStreamEncryptor(KEYS, CLIENT_IV);
    const block = hex('06', fill(0x42, 15));
    const framer = new ControlFramer({ role: 'server' });
    framer.feed(SET_UP_ENCRYPTED);
    framer.useKeys(KEYS, CLIENT_IV);
    const sealedStart = encryptor.seal(encodeStartSessions());
    const out = framer.feed(Buffer.concat([sealedStart, encryptor.encryptUncovered(block)]));
    expect(norm(out)).toEqual(
      norm([
        { type: 'start-sessions', hmac: hmac16(KEYS.hmacKey, encodeStartSessions().subarray(0, 16)) },
        { type: 'unknown-command', command: 6, block },
      ]),
    );
  });

  it('in unauthenticated mode HMAC fields are neither checked nor required to be zero', () => {
    const framer = new ControlFramer({ role: 'server' });
    framer.feed(SET_UP_CLEAR);
    framer.useUnauthenticated();
    const out = framer.feed(encodeStartSessions({ hmac: fill(0xee, 16) }));
    expect(norm(out)).toEqual(norm([{ type: 'start-sessions', hmac: fill(0xee, 16) }]));
  });
});
