// The control commands in-process with a scripted control engine and measurement engine: the flow
// (connect, request, start, send, stop, close), what goes into each request, the output, the exit
// codes (3 refused, 4 timed out, 1 no server), secrets from each source, and signals.
import type { ControlClientApi, ControlClientOptions, ControlServerApi, KeyStore, NegotiatedSession, SessionRequestOptions } from '@twamp/control';
import { AuthenticationError, AuthenticationFailure, NetworkError, PeerRejectedError, TimeoutError } from '@twamp/errors';
import type { SenderOptions, SenderReport, SessionReflectorApi, SessionSenderApi } from '@twamp/test-session';
import { ReflectorPool } from '@twamp/test-session';
import type { SecurityMode} from '@twamp/wire';
import { Mode, TestSecurity, twampLayout } from '@twamp/wire';
import { describe, expect, it } from 'vitest';
import type { ControlEngine, ControlListenOptions } from '../src/control/engine.js';
import type { CliEngine } from '../src/engine.js';
import type { CliIo, CliSignal } from '../src/io.js';
import { main } from '../src/main.js';
import { emptyStats, serverStats } from './commands-support.js';
import { DGRAM, fixedReport } from './report-fixture.js';

interface TestIo extends CliIo {
  out(): string;
  err(): string;
  emit(signal: CliSignal): void;
}

function testIo(): TestIo {
  let out = '';
  let err = '';
  const handlers = new Set<(signal: CliSignal) => void>();
  return {
    stdout: { write: (text: string) => (out += text) },
    stderr: { write: (text: string) => (err += text) },
    onSignal: (handler) => {
      handlers.add(handler);
      return () => handlers.delete(handler);
    },
    out: () => out,
    err: () => err,
    emit: (signal) => {
      for (const handler of handlers) handler(signal);
    },
  };
}

const SID = Uint8Array.from(Buffer.from('7f000001eeb2285b1d2f1a9fb8bf210a', 'hex'));

function negotiated(request: SessionRequestOptions, mode: number): NegotiatedSession {
  return {
    sid: SID,
    mode,
    securityMode: (mode & 0x0f) as SecurityMode,
    layout: twampLayout({ security: TestSecurity.Open }),
    createCrypto: () => undefined,
    sender: { address: request.sender?.address ?? '127.0.0.1', port: request.sender?.port ?? 0 },
    receiver: { address: '127.0.0.1', port: request.receiver?.port === 0 || request.receiver?.port === undefined ? 8760 : request.receiver.port },
    paddingLength: request.paddingLength ?? 27,
    startTime: { seconds: 0, fraction: 0 },
    timeoutSeconds: request.timeoutSeconds ?? 2,
    dscp: request.dscp,
    octetsToBeReflected: 0,
    paddingToReflect: 0,
  };
}

interface Script {
  connect?: (options: ControlClientOptions) => Promise<void>;
  keys?: Readonly<Record<string, string>>;
  env?: Readonly<Record<string, string>>;
  prompt?: string | undefined;
}

interface Recorded {
  connects: ControlClientOptions[];
  requests: SessionRequestOptions[];
  calls: string[];
  listens: ControlListenOptions[];
  serverClosed: number;
}

function controlEngine(script: Script = {}): ControlEngine & { recorded: Recorded } {
  const recorded: Recorded = { connects: [], requests: [], calls: [], listens: [], serverClosed: 0 };
  let closeConnection: () => void = () => undefined;
  return {
    recorded,
    connect: async (options) => {
      recorded.connects.push(options);
      await script.connect?.(options);
      const allowed = options.allowedModes ?? 15;
      const mode = [Mode.Encrypted, Mode.Authenticated, Mode.Mixed, Mode.Unauthenticated].find((m) => (allowed & m) !== 0) ?? 1;
      const closed = new Promise<void>((resolve) => {
        closeConnection = resolve;
      });
      const client: ControlClientApi = {
        mode,
        securityMode: mode,
        serverModes: 15,
        local: { address: '127.0.0.1', port: 50000 },
        server: options.server,
        requestSession: (request = {}) => {
          recorded.requests.push(request);
          recorded.calls.push('request');
          return Promise.resolve(negotiated(request, mode));
        },
        startSessions: () => {
          recorded.calls.push('start');
          return Promise.resolve();
        },
        startSessionsN: () => Promise.resolve(),
        stopSessionsN: () => Promise.resolve(),
        stopSessions: () => {
          recorded.calls.push('stop');
          return Promise.resolve();
        },
        // Idempotent, as the contract says: only the first close counts.
        close: () => {
          if (!recorded.calls.includes('close')) recorded.calls.push('close');
          closeConnection();
        },
        closed,
      };
      return client;
    },
    listen: (options) => {
      recorded.listens.push(options);
      const server: ControlServerApi = {
        address: options.address,
        port: options.port === 0 ? 40862 : options.port,
        stats: serverStats({ connectionsTotal: 3 }),
        reconfigure: () => undefined,
        close: () => {
          recorded.serverClosed++;
          return Promise.resolve();
        },
      };
      return Promise.resolve(server);
    },
    loadKeys: (path) => {
      const keys = script.keys ?? {};
      const store: KeyStore = { secret: (id) => (keys[id] === undefined ? undefined : Buffer.from(keys[id], 'utf8')), size: Object.keys(keys).length };
      return path === '/missing' ? Promise.reject(new Error('unreadable')) : Promise.resolve(store);
    },
    env: (name) => script.env?.[name],
    promptSecret: () => Promise.resolve(script.prompt),
    reservePort: () => Promise.resolve(34567),
  };
}

function engine(report: (options: SenderOptions) => Promise<SenderReport> = () => Promise.resolve(fixedReport())): CliEngine & { senders: SenderOptions[] } {
  const senders: SenderOptions[] = [];
  return {
    senders,
    openSender: (options) => {
      senders.push(options);
      const sender: SessionSenderApi = {
        localAddress: options.local?.address ?? '127.0.0.1',
        localPort: options.local?.port ?? 1,
        events: () => ({ [Symbol.asyncIterator]: () => ({ next: () => Promise.resolve({ done: true, value: undefined }) }) }),
        onEvent: () => undefined,
        done: report(options),
        stop: () => undefined,
      };
      return Promise.resolve(sender);
    },
    openReflector: (options) => {
      const reflector: SessionReflectorApi = {
        localAddress: options.address ?? '0.0.0.0',
        localPort: options.port ?? 862,
        capabilities: DGRAM,
        register: (session) => ({ sid: session.sid, packets: 0, stop: () => undefined }),
        stats: emptyStats(),
        sessions: () => [],
        reconfigure: () => undefined,
        close: () => undefined,
      };
      return Promise.resolve(reflector);
    },
    resolve: () => Promise.reject(new Error('no names here')),
  };
}

describe('twamp controller', () => {
  it('connects, requests, starts, sends on the negotiated session, stops, closes and prints both summaries', async () => {
    const io = testIo();
    const control = controlEngine();
    const measure = engine();
    expect(await main(['controller', '127.0.0.1', '-c', '5', '--dscp', 'ef', '--control-port', '8620'], io, { engine: measure, control })).toBe(0);
    expect(control.recorded.calls).toEqual(['request', 'start', 'stop', 'close']);
    expect(control.recorded.connects[0]).toMatchObject({ server: { address: '127.0.0.1', port: 8620 }, allowedModes: Mode.Unauthenticated, timeoutMs: 10_000 });
    expect(control.recorded.requests[0]).toEqual({ sender: { port: 34567 }, receiver: { port: 0 }, timeoutSeconds: 2, dscp: 46 });
    expect(measure.senders[0]).toMatchObject({
      protocol: 'twamp',
      target: { address: '127.0.0.1', port: 8760 },
      local: { address: '127.0.0.1', port: 34567 },
      padding: 27,
      count: 5,
      tos: 46 << 2,
    });
    expect(io.out()).toContain('control:    server 127.0.0.1:8620/tcp, mode unauthenticated');
    expect(io.out()).toContain(`SID ${Buffer.from(SID).toString('hex')}, reflector port 8760 (asked for any)`);
  });

  it('prints the sender JSON with command "controller" and the control facts', async () => {
    const io = testIo();
    expect(await main(['controller', '--json', '--padding', '100', '127.0.0.1:20001'], io, { engine: engine(), control: controlEngine() })).toBe(0);
    const json = JSON.parse(io.out()) as { command: string; schemaVersion: number; settings: { padding: number }; control: Record<string, unknown> };
    expect(json.command).toBe('controller');
    expect(json.schemaVersion).toBe(1);
    expect(json.settings.padding).toBe(100);
    expect(json.control).toMatchObject({ sid: Buffer.from(SID).toString('hex'), securityMode: 'unauthenticated', receiver: { port: 20001 }, requestedReceiverPort: 20001, paddingLength: 100 });
  });

  it('takes the secret from the key file, the environment or the prompt, and never prints it', async () => {
    for (const [args, script] of [
      [['--key-file', '/keys'], { keys: { alice: 'from-file' } }],
      [['--passphrase-env', 'PW'], { env: { PW: 'from-env' } }],
      [[], { prompt: 'from-prompt' }],
    ] as const) {
      const io = testIo();
      const control = controlEngine(script);
      expect(await main(['controller', '--user', 'alice', ...args], io, { engine: engine(), control })).toBe(0);
      const secret = Buffer.from(control.recorded.connects[0]?.secret ?? []).toString('utf8');
      expect(secret).toMatch(/^from-/);
      expect(control.recorded.connects[0]).toMatchObject({ keyId: 'alice', allowedModes: 15 });
      expect(io.out() + io.err()).not.toContain(secret);
    }
  });

  it('exits 2 when the secret cannot be had: unknown identity, unset variable, no terminal', async () => {
    for (const [args, script, path] of [
      [['--key-file', '/keys'], { keys: { bob: 'x' } }, '--user'],
      [['--passphrase-env', 'PW'], {}, '--passphrase-env'],
      [[], { prompt: undefined }, '--key-file'],
    ] as const) {
      const io = testIo();
      const control = controlEngine(script);
      expect(await main(['controller', '--user', 'alice', ...args], io, { engine: engine(), control })).toBe(2);
      expect(io.err()).toContain(`invalid configuration: ${path}`);
      expect(control.recorded.connects).toEqual([]);
    }
  });

  it('exits 3 on a refusal, with the Accept code explained', async () => {
    const io = testIo();
    const control = controlEngine({ connect: () => Promise.reject(new PeerRejectedError({ received: 1, peer: 'server', message: 'Server-Start' })) });
    expect(await main(['controller'], io, { engine: engine(), control })).toBe(3);
    expect(io.err()).toContain('Accept 1 (Failure, reason unspecified)');
    expect(io.err()).toContain('check the key identity and the shared secret');
    const io2 = testIo();
    const none = controlEngine({ connect: () => Promise.reject(new AuthenticationError(AuthenticationFailure.NoAcceptableMode, 'the server offers none of the allowed modes')) });
    expect(await main(['controller', '--mode', 'encrypted', '--user', 'a', '--passphrase-env', 'P'], io2, { engine: engine(), control: { ...none, env: () => 'pw' } })).toBe(3);
    expect(io2.err()).toContain('allow a mode the peer offers');
  });

  it('exits 4 on a timeout and 1 with the connectivity checks when no server listens', async () => {
    const io = testIo();
    const slow = controlEngine({ connect: () => Promise.reject(new TimeoutError({ waitingFor: 'Server Greeting', afterMs: 10, peer: '127.0.0.1:862' })) });
    expect(await main(['controller'], io, { engine: engine(), control: slow })).toBe(4);
    expect(io.err()).toContain('timed out after 10 ms waiting for Server Greeting');
    const io2 = testIo();
    const none = controlEngine({ connect: () => Promise.reject(new NetworkError({ operation: 'connect', systemCode: 'ECONNREFUSED', endpoint: '127.0.0.1:862' })) });
    expect(await main(['controller'], io2, { engine: engine(), control: none })).toBe(1);
    expect(io2.err()).toContain('no TWAMP-Control server accepted a TCP connection on port 862');
    expect(io2.err()).toContain('check that the server is running and reachable on the control port');
  });

  it('on SIGINT stops sending, stops the session, prints the partial summary and exits 130', async () => {
    const io = testIo();
    const control = controlEngine();
    const measure = engine(
      (options) =>
        new Promise((resolve) => {
          options.signal?.addEventListener('abort', () => {
            resolve(fixedReport({ aborted: true }));
          });
        }),
    );
    const run = main(['controller', '-c', '1000000'], io, { engine: measure, control });
    await new Promise((resolve) => setTimeout(resolve, 30));
    io.emit('SIGINT');
    expect(await run).toBe(130);
    expect(io.out()).toContain('(interrupted: partial summary)');
    expect(control.recorded.calls).toEqual(['request', 'start', 'stop', 'close']);
  });

  it('exits 130 when interrupted while connecting', async () => {
    const io = testIo();
    const control = controlEngine({ connect: () => new Promise(() => undefined) });
    const run = main(['controller'], io, { engine: engine(), control });
    await new Promise((resolve) => setTimeout(resolve, 20));
    io.emit('SIGINT');
    expect(await run).toBe(130);
    expect(io.err()).toContain('interrupted (SIGINT)');
  });
});

describe('twamp controlclient', () => {
  it('sets up sessions for the given sender, prints what it must use, stops after --duration', async () => {
    const io = testIo();
    const control = controlEngine();
    const code = await main(['controlclient', '192.0.2.7:20000', '127.0.0.1', '--sessions', '2', '--duration', '0.05'], io, { engine: engine(), control });
    expect(code).toBe(0);
    expect(control.recorded.requests).toHaveLength(2);
    expect(control.recorded.requests[0]).toMatchObject({ sender: { address: '192.0.2.7', port: 20000 }, receiver: { port: 0 } });
    expect(control.recorded.calls).toEqual(['request', 'request', 'start', 'stop', 'close']);
    expect(io.out()).toContain('the sender sends from 192.0.2.7:20000 to 127.0.0.1:8760/udp');
    expect(io.err()).toContain('sessions stopped (duration reached)');
  });

  it('stops on Ctrl-C with exit 0, and prints JSON with --json', async () => {
    const io = testIo();
    const control = controlEngine();
    const run = main(['controlclient', ':20000', '--json'], io, { engine: engine(), control });
    await new Promise((resolve) => setTimeout(resolve, 30));
    io.emit('SIGINT');
    expect(await run).toBe(0);
    const json = JSON.parse(io.out()) as { command: string; sessions: { sid: string }[] };
    expect(json.command).toBe('controlclient');
    expect(json.sessions[0]?.sid).toBe(Buffer.from(SID).toString('hex'));
    expect(control.recorded.calls.slice(-2)).toEqual(['stop', 'close']);
  });

  it('warns that third-party senders cannot use authenticated or encrypted test packets', async () => {
    const io = testIo();
    const control = controlEngine({ env: { PW: 'x' } });
    expect(await main(['controlclient', ':20000', '--user', 'a', '--passphrase-env', 'PW', '--duration', '0.01'], io, { engine: engine(), control })).toBe(0);
    expect(io.err()).toContain('a third-party sender cannot produce them');
  });
});

describe('twamp server', () => {
  it('listens with the offered modes, keys and limits, uses a ReflectorPool, and closes on SIGTERM with exit 0', async () => {
    const io = testIo();
    const control = controlEngine({ keys: { alice: 'x' } });
    const run = main(['server', '127.0.0.1:0', '--key-file', '/keys', '--max-sessions', '4', '--allow', '127.0.0.0/8', '--port-range', 'ephemeral'], io, {
      engine: engine(),
      control,
    });
    await new Promise((resolve) => setTimeout(resolve, 30));
    const listen = control.recorded.listens[0];
    expect(listen).toMatchObject({ address: '127.0.0.1', port: 0, family: 4, pbkdf2Count: 2048, limits: { maxSessionsTotal: 4 }, allowedClients: ['127.0.0.0/8'] });
    expect(listen?.modes).toBe(15 | Mode.IndividualSessionControl | Mode.ReflectOctets | Mode.SymmetricalSize | Mode.DscpEcnMonitoring);
    expect(listen?.keys?.size).toBe(1);
    expect(listen?.handler).toBeInstanceOf(ReflectorPool);
    // The listening line is a status line: stderr, never stdout.
    expect(io.err()).toContain('twamp server: listening on 127.0.0.1:40862/tcp, modes unauthenticated, authenticated, encrypted, mixed');
    expect(io.out()).not.toContain('listening on');
    // A session through the handler prints its lines.
    const handler = listen?.handler;
    const result = await handler?.open({
      ...negotiated({ sender: { port: 5000 } }, 1),
      client: { address: '127.0.0.1', port: 1 },
      requestedReceiverPort: 0,
    });
    expect(result).toMatchObject({ accept: 0 });
    handler?.start([SID]);
    io.emit('SIGTERM');
    expect(await run).toBe(0);
    expect(control.recorded.serverClosed).toBeGreaterThan(0);
    expect(io.out()).toContain(`session ${Buffer.from(SID).toString('hex')} opened`);
    expect(io.out()).toContain('twamp server: stopped after');
  });

  it('renders a listen failure and exits 1', async () => {
    const io = testIo();
    const control = controlEngine();
    const failing: ControlEngine = {
      ...control,
      listen: () => Promise.reject(new NetworkError({ operation: 'listen (TCP)', systemCode: 'EADDRINUSE', endpoint: '0.0.0.0:862' })),
    };
    expect(await main(['server'], io, { engine: engine(), control: failing })).toBe(1);
    expect(io.err()).toContain('EADDRINUSE');
    expect(io.err()).toContain('another process uses this port');
  });
});
