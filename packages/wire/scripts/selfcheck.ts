// A loopback self-check of @twamp/wire, run by `pnpm selfcheck` from the repository root.
//
// Plays both sides of an encrypted TWAMP session in memory, through the public API only:
// greeting, key derivation, Token, the chained AES-CBC control streams with their HMACs (framed
// by two ControlFramers), Request-TW-Session / Accept-Session / Start-Sessions / Start-Ack,
// then encrypted test packets reflected by the allocation-free fast path, and Stop-Sessions.
// Each step is checked; any mismatch exits non-zero.
import { hrtime } from 'node:process';
import {
  acceptToken,
  ControlFramer,
  ControlStreamEncryptor,
  createTestPacketCrypto,
  createTwampReflectContext,
  decodeTwampReflector,
  deriveKey,
  encodeAcceptSession,
  encodeRequestTwSession,
  encodeServerGreeting,
  encodeServerStart,
  encodeSetUpResponse,
  encodeStartAck,
  encodeStartSessions,
  encodeStopSessions,
  encodeTwampSender,
  encryptToken,
  type FramedMessage,
  generateChallenge,
  generateClientIv,
  generateControlKeys,
  generateSalt,
  generateServerIv,
  Mode,
  modeNames,
  ntpDifferenceNanos,
  ntpFromUnixNanos,
  reflectInto,
  SERVER_START_ENCRYPTED_OFFSET,
  TestSecurity,
  twampLayout,
  typePForDscp,
  type WireTimestamp,
  ZERO_TIMESTAMP,
  chooseSecurityMode,
  checkPbkdf2Count,
} from '@twamp/wire';

const SECRET = 'selfcheck shared secret';
const PACKETS = 5;
let checks = 0;

function check(condition: boolean, what: string): void {
  if (!condition) {
    process.stderr.write(`✗ ${what}\n`);
    process.exit(1);
  }
  checks += 1;
}

function step(text: string): void {
  process.stdout.write(`✓ ${text}\n`);
}

function only<T extends FramedMessage['type']>(messages: FramedMessage[], type: T): Extract<FramedMessage, { type: T }> {
  const [first] = messages;
  check(messages.length === 1 && first?.type === type, `expected one ${type}, got ${messages.map((m) => m.type).join(', ') || 'nothing'}`);
  return first as Extract<FramedMessage, { type: T }>;
}

// Wall clock anchored once, then advanced by the monotonic clock: nanosecond steps, never backwards.
const anchor = BigInt(Date.now()) * 1_000_000n - hrtime.bigint();
function now(): WireTimestamp {
  return ntpFromUnixNanos(anchor + hrtime.bigint());
}

// --- Control connection -------------------------------------------------------------------
const clientFramer = new ControlFramer({ role: 'client' });
const serverFramer = new ControlFramer({ role: 'server' });

const challenge = generateChallenge();
const salt = generateSalt();
const offered = Mode.Unauthenticated | Mode.Authenticated | Mode.Encrypted | Mode.Mixed;
const greeting = only(clientFramer.feed(encodeServerGreeting({ modes: offered, challenge, salt, count: 2048 })), 'server-greeting');
check(greeting.modes === offered && greeting.count === 2048, 'greeting fields survive the framer');
const mode = chooseSecurityMode(greeting.modes, offered);
check(mode === Mode.Encrypted, 'the client prefers encrypted mode');
step(`Server Greeting: modes ${modeNames(greeting.modes).join(', ')}; client chose ${modeNames(mode ?? 0).join('')}`);

checkPbkdf2Count(greeting.count);
const clientKeys = generateControlKeys();
const clientIv = generateClientIv();
const setUp = encodeSetUpResponse({
  mode: Mode.Encrypted,
  keyId: Buffer.concat([Buffer.from('selfcheck'), Buffer.alloc(80 - 9)]),
  token: encryptToken(deriveKey(SECRET, greeting.salt, greeting.count), greeting.challenge, clientKeys),
  clientIv,
});
clientFramer.useKeys(clientKeys);
const setUpSeen = only(serverFramer.feed(setUp), 'set-up-response');
const serverKeys = acceptToken(deriveKey(SECRET, salt, 2048), setUpSeen.token, challenge);
check(Buffer.compare(Buffer.from(serverKeys.aesKey), Buffer.from(clientKeys.aesKey)) === 0, 'the server recovers the session keys from the Token');
serverFramer.useKeys(serverKeys, setUpSeen.clientIv);
step('Set-Up-Response: PBKDF2-HMAC-SHA1 key, Token decrypted by the server, Challenge matched');

const serverIv = generateServerIv();
const toClient = new ControlStreamEncryptor(serverKeys, serverIv);
const toServer = new ControlStreamEncryptor(clientKeys, clientIv);
const start = encodeServerStart({ accept: 0, serverIv, startTime: now() });
const startWire = Buffer.concat([
  start.subarray(0, SERVER_START_ENCRYPTED_OFFSET),
  toClient.encryptUncovered(start.subarray(SERVER_START_ENCRYPTED_OFFSET)),
]);
const serverStart = only(clientFramer.feed(startWire), 'server-start');
check(serverStart.accept === 0, 'Server-Start accepts');
step('Server-Start: Accept 0; server→client AES-CBC chain opened with the Server-IV');

const request = encodeRequestTwSession({
  ipvn: 4,
  senderPort: 20000,
  receiverPort: 20001,
  senderAddress: '0.0.0.0',
  receiverAddress: '0.0.0.0',
  paddingLength: 64,
  startTime: ZERO_TIMESTAMP,
  timeout: { seconds: 3, fraction: 0 },
  typeP: typePForDscp(46),
});
const requestSeen = only(serverFramer.feed(toServer.seal(request)), 'request-tw-session');
check(requestSeen.receiverPort === 20001 && requestSeen.typeP === 0x2e000000, 'Request-TW-Session decrypted and verified');
// A fixed SID is enough here; the control layer builds real ones (RFC 4656 §3.5).
const sid = Buffer.from('c6120001' + '0102030405060708090a0b0c', 'hex');
clientFramer.expect('accept-session');
const accepted = only(clientFramer.feed(toClient.seal(encodeAcceptSession({ accept: 0, port: 20001, sid: sid }))), 'accept-session');
check(accepted.accept === 0 && Buffer.from(accepted.sid).equals(sid), 'Accept-Session carries the SID');
step("Request-TW-Session / Accept-Session: HMACs verified, the server's first covering Server-Start 32-47");

only(serverFramer.feed(toServer.seal(encodeStartSessions({}))), 'start-sessions');
clientFramer.expect('start-ack');
check(only(clientFramer.feed(toClient.seal(encodeStartAck({ accept: 0 }))), 'start-ack').accept === 0, 'Start-Ack accepts');
step('Start-Sessions / Start-Ack');

// --- Test packets ---------------------------------------------------------------------------
const layout = twampLayout({ security: TestSecurity.Encrypted });
const senderCrypto = createTestPacketCrypto(Mode.Encrypted, clientKeys, sid);
const reflectorCrypto = createTestPacketCrypto(Mode.Encrypted, serverKeys, sid);
check(senderCrypto !== undefined && reflectorCrypto !== undefined, 'test keys derived from the SID');
if (senderCrypto === undefined || reflectorCrypto === undefined) process.exit(1);
const context = createTwampReflectContext({ layout, stateful: true });
const reply = Buffer.alloc(1500);
const rtts: number[] = [];
for (let seq = 0; seq < PACKETS; seq++) {
  const t1 = now();
  const packet = encodeTwampSender({ sequence: seq, timestamp: t1, errorEstimate: 0x3fff, padding: Buffer.alloc(64) }, layout);
  senderCrypto.protect(packet, 'sender');
  check(reflectorCrypto.unprotect(packet, 'sender'), 'reflector verifies the sender HMAC');
  const t2 = now();
  context.receiveSeconds = t2.seconds;
  context.receiveFraction = t2.fraction;
  const t3 = now();
  context.sendSeconds = t3.seconds;
  context.sendFraction = t3.fraction;
  const length = reflectInto(packet, packet.length, reply, context);
  check(length === packet.length, `reply as long as the request (${length} vs ${packet.length})`);
  const out = reply.subarray(0, length);
  reflectorCrypto.protect(out, 'reflector');
  check(senderCrypto.unprotect(out, 'reflector'), 'sender verifies the reflector HMAC');
  const t4 = now();
  const decoded = decodeTwampReflector(out, layout);
  check(decoded.senderSequence === seq && decoded.sequence === seq, 'sequence numbers reflected');
  check(ntpDifferenceNanos(decoded.senderTimestamp, t1) === 0, 'T1 echoed exactly');
  const rtt = ntpDifferenceNanos(t4, t1) - ntpDifferenceNanos(decoded.timestamp, decoded.receiveTimestamp);
  check(rtt >= 0, 'round-trip time is not negative');
  rtts.push(rtt);
}
step(`${PACKETS} encrypted test packets reflected (${layout.reflector.padding}-octet base, HMAC both ways); in-memory RTT ${Math.min(...rtts)}–${Math.max(...rtts)} ns`);

only(serverFramer.feed(toServer.seal(encodeStopSessions({ accept: 0, numberOfSessions: 1 }))), 'stop-sessions');
step('Stop-Sessions with Number of Sessions 1');
process.stdout.write(`selfcheck passed: ${checks} checks\n`);
