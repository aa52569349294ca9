// The failure rendering as the commands print it, in-process through `main`: a usage error, an
// unexpected engine error, and control refusals from a scripted server (Accept 4, Accept 5, wrong
// key, no mode both sides allow, nothing listening), each with its exit code.
import type { ControlClientApi, ControlClientOptions } from '@twamp/control';
import { AuthenticationError, AuthenticationFailure, describeAcceptCode, NetworkError, PeerRejectedError } from '@twamp/errors';
import { Mode } from '@twamp/wire';
import { describe, expect, it } from 'vitest';
import type { ControlEngine } from '../src/control/engine.js';
import type { CliEngine } from '../src/engine.js';
import type { CliIo } from '../src/io.js';
import { main } from '../src/main.js';

interface TestIo extends CliIo {
  out(): string;
  err(): string;
}

function testIo(): TestIo {
  let out = '';
  let err = '';
  return {
    stdout: { write: (text: string) => (out += text) },
    stderr: { write: (text: string) => (err += text) },
    out: () => out,
    err: () => err,
  };
}

const unused = (what: string) => () => Promise.reject(new Error(`${what} is not used by this test`));

const engine: CliEngine = {
  openSender: unused('openSender'),
  openReflector: unused('openReflector'),
  resolve: unused('resolve'),
};

/** A control engine whose connect fails with `connectError`, or whose session request fails with `requestError`. */
function control(script: { connectError?: Error; requestError?: Error }): ControlEngine {
  return {
    connect: (options: ControlClientOptions) => {
      if (script.connectError !== undefined) return Promise.reject(script.connectError);
      const client: ControlClientApi = {
        mode: Mode.Unauthenticated,
        securityMode: Mode.Unauthenticated,
        serverModes: Mode.Unauthenticated,
        local: { address: '127.0.0.1', port: 50000 },
        server: options.server,
        requestSession: () => Promise.reject(script.requestError ?? new Error('no request error scripted')),
        startSessions: () => Promise.resolve(),
        startSessionsN: () => Promise.resolve(),
        stopSessionsN: () => Promise.resolve(),
        stopSessions: () => Promise.resolve(),
        close: () => undefined,
        closed: new Promise<void>(() => undefined),
      };
      return Promise.resolve(client);
    },
    listen: unused('listen'),
    loadKeys: unused('loadKeys'),
    env: () => 'a passphrase',
    promptSecret: () => Promise.resolve(undefined),
    reservePort: () => Promise.resolve(50001),
  };
}

async function run(argv: readonly string[], controlEngine: ControlEngine = control({})): Promise<{ code: number; io: TestIo }> {
  const io = testIo();
  const code = await main(argv, io, { engine, control: controlEngine });
  return { code, io };
}

describe('failures as main prints them', () => {
  it('a bad argument: the option and its range, said by twamp itself, exit 2, nothing started', async () => {
    const { code, io } = await run(['sender', '127.0.0.1:862', '--count', '0']);
    expect(code).toBe(2);
    expect(io.out()).toBe('');
    expect(io.err()).toContain('error: invalid configuration: --count: expected an integer from 1 to 4294967295 packets, got "0"');
    expect(io.err()).toContain('said by: twamp itself');
    expect(io.err()).toContain("usage: see 'twamp sender --help'");
  });

  it('a mistyped command or option: "did you mean", exit 2, no Accept line, nothing started', async () => {
    const command = await run(['sendr', '127.0.0.1']);
    expect(command.code).toBe(2);
    expect(command.io.err()).toContain('command: expected one of responder, sender,');
    expect(command.io.err()).toContain('got "sendr" (did you mean sender?)');
    expect(command.io.err()).toContain('1. did you mean sender?');
    const option = await run(['sender', '127.0.0.1', '--jsn']);
    expect(option.code).toBe(2);
    expect(option.io.err()).toContain("--jsn: expected an option that 'twamp sender --help' lists (did you mean --json?)");
    const controller = await run(['controler', '192.0.2.7']);
    expect(controller.io.err()).toContain('did you mean controller?');
    // Nothing near: no guess.
    expect((await run(['xyzzy'])).io.err()).not.toContain('did you mean');
    // Usage errors are no control exchange: no "Accept code: none" (not even for a control command).
    for (const { io } of [command, option, controller, await run(['controller', '127.0.0.1', '--mode', 'bogus'])]) expect(io.err()).not.toContain('Accept');
  });

  it('an unexpected engine error: ours, exit 1', async () => {
    const { code, io } = await run(['sender', '127.0.0.1:862']);
    expect(code).toBe(1);
    expect(io.err()).toContain('error: openSender is not used by this test');
    expect(io.err()).toContain('said by: this host: an unexpected error in twamp');
  });

  it('Accept 4 in Accept-Session: the server said it, causes and steps, exit 3', async () => {
    const refusal = new PeerRejectedError({ received: 4, peer: 'server', message: 'Accept-Session' });
    const { code, io } = await run(['controller', '127.0.0.1', '--control-port', '4862'], control({ requestError: refusal }));
    expect(code).toBe(3);
    expect(io.err()).toContain('refused in Accept-Session: Accept 4');
    // By address and port (a script looping over servers must tell which one refused), not the port alone.
    expect(io.err()).toContain('said by: the TWAMP server at 127.0.0.1:4862, in its Accept-Session');
    expect(io.err()).toContain('error: the TWAMP server at 127.0.0.1:4862 refused in Accept-Session');
    expect(io.err()).toContain(describeAcceptCode(4).meaning);
    expect(io.err()).not.toContain('retry:');
  });

  it('an IPv6 server is named in brackets, in the refusal and in "no mode both sides allow"', async () => {
    const refusal = new PeerRejectedError({ received: 4, peer: 'server', message: 'Accept-Session' });
    const refused = await run(['controller', '[::1]', '--control-port', '4862'], control({ requestError: refusal }));
    expect(refused.io.err()).toContain('said by: the TWAMP server at [::1]:4862, in its Accept-Session');
    const noMode = new AuthenticationError(AuthenticationFailure.NoAcceptableMode, 'the server offers encrypted; we allow unauthenticated');
    const declined = await run(['controlclient', ':20000', '[::1]', '--mode', 'open'], control({ connectError: noMode }));
    expect(declined.code).toBe(3);
    expect(declined.io.err()).toContain('after reading the Server Greeting of the TWAMP server at [::1]:862');
  });

  it('Accept 5: the retry hint', async () => {
    const refusal = new PeerRejectedError({ received: 5, peer: 'server', message: 'Accept-Session' });
    const { code, io } = await run(['controller', '127.0.0.1'], control({ requestError: refusal }));
    expect(code).toBe(3);
    expect(io.err()).toContain(`Accept 5 (${describeAcceptCode(5).name})`);
    expect(io.err()).toContain('retry: the same request may succeed later');
  });

  it('a wrong key: Accept 1 in Server-Start, the key first', async () => {
    const refusal = new PeerRejectedError({ received: 1, peer: 'server', message: 'Server-Start' });
    const { code, io } = await run(
      ['controller', '127.0.0.1', '--user', 'alice', '--passphrase-env', 'PW'],
      control({ connectError: refusal }),
    );
    expect(code).toBe(3);
    expect(io.err()).toContain('refused in Server-Start: Accept 1 (Failure, reason unspecified)');
    expect(io.err()).toContain('could not verify our token');
    expect(io.err()).toMatch(/what to do:\n {4}1\. [^\n]*shared secret/);
  });

  it('no mode both sides allow: exit 3 with Accept 3\'s meaning', async () => {
    const refusal = new AuthenticationError(AuthenticationFailure.NoAcceptableMode, 'the server offers encrypted; we allow unauthenticated');
    const { code, io } = await run(['controller', '127.0.0.1', '--mode', 'open'], control({ connectError: refusal }));
    expect(code).toBe(3);
    expect(io.err()).toContain('the server requires authentication');
    expect(io.err()).toContain(`nearest: Accept 3 (${describeAcceptCode(3).name})`);
  });

  it('nothing listening: exit 1 with the connectivity checks', async () => {
    const refused = new NetworkError({ operation: 'connect', systemCode: 'ECONNREFUSED', endpoint: '127.0.0.1:862' });
    const { code, io } = await run(['controller', '127.0.0.1'], control({ connectError: refused }));
    expect(code).toBe(1);
    expect(io.err()).toContain('no TWAMP-Control server accepted a TCP connection on port 862');
    for (const step of describeAcceptCode(1).whatToDo) expect(io.err()).toContain(step);
  });
});
