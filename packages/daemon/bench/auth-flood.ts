/**
 * The auth-flood bench's attacker: TCP clients from many loopback addresses that send
 * Set-Up-Responses in encrypted mode with KEYID (a known identity: a password guess, which the
 * server must derive a key for) and random Tokens, or with KEYID `-` Set-Up-Responses with Mode 0
 * (the client leaves: the same connections without any authentication), paced at RATE per second
 * in all, for SECONDS. Prints `flooding` once it starts, then one JSON
 * line: Set-Up-Responses answered (the server derived a key and replied), connections refused with
 * Modes 0 (the failure backoff), and the seconds it ran.
 *
 *   node --import tsx bench/auth-flood.ts PORT RATE WORKERS ADDRESSES SECONDS KEYID
 */
import { randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { encodeSetUpResponse, Mode, SERVER_GREETING_LENGTH } from '@twamp/wire';

// Not @twamp/bench-kit: importing it installs its signal handlers, which belong to the bench process.
const HOST = '127.0.0.1';
const [port = 0, rate = 0, workerCount = 0, addresses = 0, seconds = 0] = process.argv.slice(2, 7).map(Number);
const guessedKeyId = process.argv[7] ?? '';
if (![port, rate, workerCount, addresses, seconds].every((n) => Number.isFinite(n) && n > 0) || guessedKeyId === '') {
  process.stderr.write('usage: auth-flood.ts PORT RATE WORKERS ADDRESSES SECONDS KEYID\n');
  process.exit(2);
}
const deadline = performance.now() + seconds * 1000;

let answered = 0;
let refused = 0;
const t0 = performance.now();

function once(localAddress: string): Promise<void> {
  return new Promise((done) => {
    const socket = connect({ host: HOST, port, localAddress });
    let received = Buffer.alloc(0);
    let sent = false;
    socket.setTimeout(10_000, () => socket.destroy());
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      if (sent || received.length < SERVER_GREETING_LENGTH) return;
      sent = true;
      // Modes (octets 12-15) 0: refused before any key derivation.
      if (received.readUInt32BE(12) === 0) {
        refused += 1;
        socket.destroy();
        return;
      }
      if (guessedKeyId === '-') {
        socket.write(encodeSetUpResponse({ mode: 0 }));
        return;
      }
      const keyId = Buffer.alloc(80);
      keyId.write(guessedKeyId);
      socket.write(encodeSetUpResponse({ mode: Mode.Encrypted, keyId, token: randomBytes(64), clientIv: randomBytes(16) }));
    });
    socket.on('close', () => {
      if (sent && (received.length > SERVER_GREETING_LENGTH || guessedKeyId === '-')) answered += 1;
      done();
    });
    socket.on('error', () => undefined);
  });
}

// Each worker keeps its share of the rate (it never catches up by bursting after a slow answer).
const intervalMs = (1000 * workerCount) / rate;
process.stdout.write('flooding\n');
await Promise.all(
  Array.from({ length: workerCount }, async (_, worker) => {
    let next = performance.now() + (worker * intervalMs) / workerCount;
    for (let i = 0; performance.now() < deadline; i += 1) {
      const wait = next - performance.now();
      if (wait > 0) await sleep(wait);
      next = Math.max(next + intervalMs, performance.now());
      await once(`127.0.0.${2 + ((worker + i * workerCount) % addresses)}`);
    }
  }),
);
process.stdout.write(`${JSON.stringify({ answered, refused, seconds: (performance.now() - t0) / 1000 })}\n`);
