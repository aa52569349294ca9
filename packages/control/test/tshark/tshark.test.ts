// Real ControlClient ↔ ControlServer conversations captured on the loopback interface and decoded
// by tshark's independent TWAMP-Control dissector (packet-twamp.c): the open-mode exchange is
// checked message by message (Modes, Mode, Accept, Command, Number of Sessions, Port, SID), the
// keyed modes' cleartext setup likewise, and no frame may be malformed.
//
// The dissector is registered on TCP 862 and cannot decrypt, so only cleartext is compared. Two
// ways to get the capture (TWAMP_TSHARK_CAPTURE=live|replay; default live when root):
// - live: the server listens on 127.0.0.<x>:862 (a loopback address nothing else uses) and
//   `tshark -i lo` records the conversations;
// - replay: without root neither port 862 nor a capture is allowed, so a recording proxy keeps the
//   octets each side wrote and replay.ts writes them into a pcap with proper TCP framing.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AcceptCode } from '@twamp/errors';
import { Mode } from '@twamp/wire';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ControlServer } from '../../src/index.js';
import { KEY_ID, memoryKeys, secretBytes } from '../support/keys.js';
import { hex, RecordingHandler } from '../support/recording-handler.js';
import { connectClient, eventually, FAST_PBKDF2, withSenderPort } from '../support/server.js';
import { recordingProxy, type RecordingProxy, writeRecordings } from './replay.js';
import { captureLoopback, dissect, type LiveCapture, problems, protocolFilterNames, REQUIRE_TSHARK, type Row, RUN_TSHARK, SKIP_REASON, TSHARK_AVAILABLE } from './harness.js';

const PORT = 862;
const CAPTURE = process.env['TWAMP_TSHARK_CAPTURE'] ?? (process.getuid?.() === 0 ? 'live' : 'replay');
/** Where the replayed capture puts the server. */
const REPLAY_SERVER_IP = '127.0.0.86';
const OFFERED = Mode.Unauthenticated | Mode.Encrypted | Mode.Authenticated;

/** tshark's field output prints an FT_BYTES SID as plain lowercase hex. */
const tsharkHex = hex;

/** The server on the first free 127.0.0.x:862 (another process may hold one of them). */
async function listenOn862(handler: RecordingHandler): Promise<ControlServer> {
  let last: unknown;
  for (const x of [86, 87, 186, 187, 226]) {
    try {
      return await ControlServer.listen({ modes: OFFERED, keys: memoryKeys(), pbkdf2Count: FAST_PBKDF2, handler, address: `127.0.0.${x}`, port: PORT });
    } catch (error) {
      last = error;
    }
  }
  throw new Error(`no 127.0.0.x:${PORT} free for the capture: ${String(last)}`);
}

interface Conversation {
  readonly name: string;
  readonly sids: string[];
  clientPort: number;
}

describe.runIf(RUN_TSHARK)(`TWAMP-Control conversations captured (${CAPTURE}) and decoded by tshark${SKIP_REASON}`, () => {
  const handler = new RecordingHandler({ firstPort: 45_000 });
  let server: ControlServer | undefined;
  let capture: LiveCapture | undefined;
  let rows: Row[] = [];
  const open: Conversation = { name: 'open', sids: [], clientPort: 0 };
  const encrypted: Conversation = { name: 'encrypted', sids: [], clientPort: 0 };

  beforeAll(async () => {
    if (!TSHARK_AVAILABLE) throw new Error(`TWAMP_REQUIRE_TSHARK=${REQUIRE_TSHARK ? '1' : '0'} but no tshark on PATH`);
    let proxy: RecordingProxy | undefined;
    let endpoint: { address: string; port: number };
    if (CAPTURE === 'live') {
      server = await listenOn862(handler);
      endpoint = { address: server.address, port: server.port };
      capture = await captureLoopback(server.address, PORT);
    } else {
      server = await ControlServer.listen({ modes: OFFERED, keys: memoryKeys(), pbkdf2Count: FAST_PBKDF2, handler, address: '127.0.0.1', port: 0 });
      proxy = await recordingProxy({ address: server.address, port: server.port });
      endpoint = { address: '127.0.0.1', port: proxy.port };
    }

    // 1. Open mode: two sessions, start, stop, close.
    const a = await connectClient(endpoint, { allowedModes: Mode.Unauthenticated });
    open.clientPort = a.local.port;
    for (let i = 0; i < 2; i++) open.sids.push(tsharkHex((await a.requestSession({ sender: { port: 31_000 + i } })).sid));
    await a.startSessions();
    await a.stopSessions();
    a.close();
    await a.closed;

    // 2. Encrypted mode: one session.
    const b = await connectClient(endpoint, { allowedModes: Mode.Encrypted });
    encrypted.clientPort = b.local.port;
    encrypted.sids.push(tsharkHex((await b.requestSession(withSenderPort())).sid));
    await b.startSessions();
    await b.stopSessions();
    b.close();
    await b.closed;

    // 3. Authenticated mode with the wrong secret: refused in Server-Start.
    await connectClient(endpoint, { allowedModes: Mode.Authenticated, keyId: KEY_ID, secret: secretBytes('wrong') }).then(
      (c) => {
        c.close();
      },
      () => undefined,
    );
    await eventually(() => server?.stats.connectionsActive === 0, 3000, 'every connection closed');
    if (capture !== undefined) {
      await capture.stop();
      rows = await dissect(capture.file, PORT);
    } else if (proxy !== undefined) {
      await eventually(() => proxy.recordings.length === 3 && proxy.recordings.every((r) => r.firstFin !== undefined), 3000, 'the proxy seeing every FIN');
      await proxy.close();
      const dir = mkdtempSync(join(tmpdir(), 'twamp-control-replay-'));
      try {
        const file = join(dir, 'control.pcap');
        writeRecordings(file, proxy.recordings, REPLAY_SERVER_IP, PORT);
        rows = await dissect(file, PORT);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
      // The replayed capture numbers client ports 40000 + i, in connection order.
      open.clientPort = 40_000;
      encrypted.clientPort = 40_001;
    }
  }, 60_000);

  afterAll(async () => {
    await server?.close(0);
    capture?.dispose();
  });

  /** The TWAMP-Control rows of one TCP connection, in order. */
  function twamp(clientPort: number): Row[] {
    return rows.filter(
      (row) => (row['tcp.srcport'] === String(clientPort) || row['tcp.dstport'] === String(clientPort)) && row['frame.protocols'].endsWith('twamp.control'),
    );
  }

  it('this tshark has a TWAMP-Control dissector', async () => {
    expect(await protocolFilterNames()).toContain('twamp.control');
  });

  it('no cleartext frame is malformed and no expert item is a warning or an error', () => {
    expect(rows.length).toBeGreaterThan(20);
    // tshark cannot decrypt: after Server-Start of a keyed connection it reads ciphertext as if it
    // were clear and may call it malformed. Everything else (the open connection, the refused
    // one, and the keyed connection's greeting, Set-Up-Response and Server-Start) must be clean.
    const keyed = twamp(encrypted.clientPort);
    const ciphertext = new Set(keyed.slice(3).map((row) => row['frame.number']));
    expect(ciphertext.size).toBeGreaterThan(0);
    // A D-SACK is the loopback stack's spurious-retransmission bookkeeping (TCP, not TWAMP).
    expect(problems(rows.filter((row) => !ciphertext.has(row['frame.number'])), /^D-SACK Sequence$/)).toEqual([]);
  });

  it('open mode: every message in protocol order with the values both ends used', () => {
    const messages = twamp(open.clientPort).map((row) => ({
      modes: row['twamp.control.modes'],
      mode: row['twamp.control.mode'],
      accept: row['twamp.control.accept'],
      command: row['twamp.control.command'],
      numsessions: row['twamp.control.numsessions'],
      port: row['twamp.control.receiver_port'],
      sid: row['twamp.control.session_id'],
    }));
    const none = { modes: '', mode: '', accept: '', command: '', numsessions: '', port: '', sid: '' };
    const zeroSid = tsharkHex(new Uint8Array(16));
    expect(messages).toEqual([
      { ...none, modes: String(OFFERED) },
      { ...none, mode: String(Mode.Unauthenticated) },
      { ...none, accept: String(AcceptCode.Ok) },
      { ...none, command: '5', port: '0', sid: zeroSid },
      { ...none, accept: '0', port: '45000', sid: open.sids[0] },
      { ...none, command: '5', port: '0', sid: zeroSid },
      { ...none, accept: '0', port: '45001', sid: open.sids[1] },
      { ...none, command: '2' },
      { ...none, accept: '0' },
      { ...none, command: '3', accept: '0', numsessions: '2' },
    ]);
  });

  it('open mode: the Count in the greeting is the one configured', () => {
    expect(twamp(open.clientPort)[0]?.['twamp.control.count']).toBe(String(FAST_PBKDF2));
  });

  it('encrypted mode: greeting, Mode 4 and Accept 0 in clear, then ciphertext tshark does not claim to read', () => {
    const [greeting, setUp, start] = twamp(encrypted.clientPort);
    expect(greeting?.['twamp.control.modes']).toBe(String(OFFERED));
    expect(setUp?.['twamp.control.mode']).toBe(String(Mode.Encrypted));
    expect(start?.['twamp.control.accept']).toBe('0');
    expect(handler.sidsOf('stop')).toContain(encrypted.sids[0]);
  });

  it('a wrong secret: Server-Start with Accept 1, then the server closes', () => {
    const streams = new Set(rows.map((row) => row['tcp.stream']));
    const conversations = [...streams].map((stream) => rows.filter((row) => row['tcp.stream'] === stream));
    // The conversation whose third message (Server-Start) carries Accept 1. Not "any message with
    // Accept 1": tshark reads the encrypted conversation's ciphertext as Accept fields too.
    const refusedRows = conversations.find(
      (all) => all.filter((row) => row['frame.protocols'].endsWith('twamp.control'))[2]?.['twamp.control.accept'] === '1',
    );
    if (refusedRows === undefined) throw new Error(`no refused conversation in the capture: ${JSON.stringify(rows.map((row) => [row['frame.number'], row['tcp.stream'], row['frame.protocols'], row['twamp.control.accept']]))}`);
    const messages = refusedRows.filter((row) => row['frame.protocols'].endsWith('twamp.control'));
    // On failure, say what tshark saw on that connection.
    const seen = JSON.stringify(refusedRows.map((row) => [row['frame.number'], row['tcp.srcport'], row['tcp.len'], row['tcp.flags.fin'], row['frame.protocols']]));
    expect(
      messages.map((row) => row['twamp.control.modes'] || row['twamp.control.mode'] || row['twamp.control.accept']),
      seen,
    ).toEqual([
      String(OFFERED),
      String(Mode.Authenticated),
      String(AcceptCode.Failure),
    ]);
    // The server sends its FIN after the refusal (possibly in the same segment).
    const refusal = Number(messages[2]?.['frame.number']);
    const serverFin = refusedRows.find(
      (row) => row['tcp.srcport'] === String(PORT) && Number(row['frame.number']) >= refusal && /^(1|true)$/i.test(row['tcp.flags.fin']),
    );
    expect(serverFin, seen).toBeDefined();
  });
});
