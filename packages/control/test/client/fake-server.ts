// A scripted TWAMP-Control server for the client tests, built only from @twamp/wire's encoders,
// a server-role ControlFramer and ControlStreamEncryptor (the steps of wire's selfcheck). It can
// stall or close at any step, refuse with any Accept value, and split RFC 5938 acks.
import { randomBytes } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import {
  acceptToken,
  ControlFramer,
  ControlStreamEncryptor,
  deriveKey,
  encodeAcceptSession,
  encodeServerGreeting,
  encodeServerStart,
  encodeStartAck,
  encodeStartNAck,
  encodeStopNAck,
  type FramedMessage,
  Mode,
  type RequestTwSession,
  SECURITY_MODE_MASK,
  SERVER_START_ENCRYPTED_OFFSET,
  type SetUpResponse,
} from '@twamp/wire';

/** The server message at which the fake server stops answering (stall) or closes. */
export type FakeStep = 'greeting' | 'server-start' | 'accept-session' | 'start-ack' | 'start-n-ack' | 'stop-n-ack';

export interface FakeServerScript {
  readonly modes: number;
  readonly count?: number;
  /** KeyID → secret. */
  readonly keys?: Readonly<Record<string, string>>;
  readonly serverStartAccept?: number;
  /** Accept value and port for each Request-TW-Session (default: Accept 0, port 40000 + n). */
  readonly onRequest?: (request: RequestTwSession, index: number) => { accept: number; port: number };
  readonly startAckAccept?: number;
  /** Split each RFC 5938 ack in two (first SID with Accept 0, the rest with `splitAccept`). */
  readonly splitNAck?: boolean;
  readonly splitAccept?: number;
  /** Never send this message (the client must time out). */
  readonly stallAt?: FakeStep;
  /** Send half of this message, then close. */
  readonly closeMidway?: FakeStep;
  /** Octets sent right after an accepting Server-Start, then the server closes. */
  readonly afterStart?: Buffer;
  /** Flip one octet of every reply after Server-Start (its HMAC then fails). */
  readonly corruptReplies?: boolean;
  /** Close instead of sending this message. */
  readonly closeAt?: FakeStep;
}

export interface FakeConnectionRecord {
  readonly remote: { address: string; port: number };
  setUp: SetUpResponse | undefined;
  readonly messages: FramedMessage[];
}

export interface FakeServer {
  readonly port: number;
  readonly address: string;
  readonly connections: FakeConnectionRecord[];
  close(): Promise<void>;
}

export async function startFakeServer(script: FakeServerScript, host = '127.0.0.1'): Promise<FakeServer> {
  const connections: FakeConnectionRecord[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    const record: FakeConnectionRecord = {
      remote: { address: socket.remoteAddress ?? '', port: socket.remotePort ?? 0 },
      setUp: undefined,
      messages: [],
    };
    connections.push(record);
    serve(socket, script, record);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => {
      resolve();
    });
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no TCP address');
  return {
    port: address.port,
    address: host,
    connections,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => {
          resolve();
        });
      }),
  };
}

function serve(socket: Socket, script: FakeServerScript, record: FakeConnectionRecord): void {
  const framer = new ControlFramer({ role: 'server' });
  const challenge = randomBytes(16);
  const salt = randomBytes(16);
  const count = script.count ?? 1024;
  let encryptor: ControlStreamEncryptor | undefined;
  let requests = 0;

  /** Send unless the script stalls or closes at this step. Returns false when the script stopped. */
  const send = (step: FakeStep, bytes: Buffer): boolean => {
    if (script.stallAt === step) return false;
    if (script.closeAt === step) {
      socket.destroy();
      return false;
    }
    if (script.closeMidway === step) {
      socket.end(bytes.subarray(0, Math.max(1, bytes.length >> 1)));
      return false;
    }
    socket.write(bytes);
    return true;
  };
  const seal = (message: Buffer): Buffer => {
    const sealed = encryptor === undefined ? message : encryptor.seal(message);
    if (script.corruptReplies === true) sealed[sealed.length - 1] = (sealed[sealed.length - 1] ?? 0) ^ 0x01;
    return sealed;
  };

  const onSetUp = (message: SetUpResponse): void => {
    record.setUp = message;
    const security = message.mode & SECURITY_MODE_MASK;
    let accept = script.serverStartAccept ?? 0;
    // Never accept a mode that was not offered (the perfSONAR OR defect).
    if ((message.mode & ~script.modes) !== 0 || ![1, 2, 4, 8].includes(security)) accept = 1;
    let keys;
    if (accept === 0 && security !== Mode.Unauthenticated) {
      const keyId = Buffer.from(message.keyId).toString('utf8').replace(/\0+$/, '');
      const secret = script.keys?.[keyId];
      try {
        if (secret === undefined) throw new Error('unknown KeyID');
        keys = acceptToken(deriveKey(secret, salt, count), message.token, challenge);
      } catch {
        accept = 1;
      }
    }
    if (accept !== 0) {
      if (send('server-start', encodeServerStart({ accept }))) socket.end();
      return;
    }
    const serverIv = randomBytes(16);
    const start = encodeServerStart({ accept: 0, serverIv, startTime: { seconds: 3_900_000_000, fraction: 0 } });
    let wire = start;
    let buffered: FramedMessage[];
    if (keys === undefined) {
      buffered = framer.useUnauthenticated();
    } else {
      buffered = framer.useKeys(keys, message.clientIv);
      encryptor = new ControlStreamEncryptor(keys, serverIv);
      wire = Buffer.concat([start.subarray(0, SERVER_START_ENCRYPTED_OFFSET), encryptor.encryptUncovered(start.subarray(SERVER_START_ENCRYPTED_OFFSET))]);
    }
    if (send('server-start', wire) && script.afterStart !== undefined) {
      socket.end(script.afterStart);
      return;
    }
    for (const next of buffered) onMessage(next);
  };

  const onMessage = (message: FramedMessage): void => {
    record.messages.push(message);
    switch (message.type) {
      case 'set-up-response':
        onSetUp(message);
        break;
      case 'request-tw-session': {
        const index = requests++;
        const answer = script.onRequest?.(message, index) ?? { accept: 0, port: 40000 + index };
        const sid = answer.accept === 0 ? randomBytes(16) : Buffer.alloc(16);
        send(
          'accept-session',
          seal(encodeAcceptSession({ accept: answer.accept, port: answer.port, sid, reflectedOctets: message.octetsToBeReflected })),
        );
        break;
      }
      case 'start-sessions':
        send('start-ack', seal(encodeStartAck({ accept: script.startAckAccept ?? 0 })));
        break;
      case 'start-n-sessions':
      case 'stop-n-sessions': {
        const step: FakeStep = message.type === 'start-n-sessions' ? 'start-n-ack' : 'stop-n-ack';
        const encode = message.type === 'start-n-sessions' ? encodeStartNAck : encodeStopNAck;
        const parts =
          script.splitNAck === true && message.sids.length > 1
            ? [
                { accept: 0, sids: message.sids.slice(0, 1) },
                { accept: script.splitAccept ?? 0, sids: message.sids.slice(1) },
              ]
            : [{ accept: 0, sids: message.sids }];
        for (const part of parts) if (!send(step, seal(encode(part)))) break;
        break;
      }
      default:
        break;
    }
  };

  socket.on('data', (chunk: Buffer) => {
    try {
      for (const message of framer.feed(chunk)) onMessage(message);
    } catch {
      socket.destroy();
    }
  });
  socket.on('end', () => {
    socket.end();
  });
  send('greeting', encodeServerGreeting({ modes: script.modes, challenge, salt, count }));
}
