// `twamp demo` in-process: with the scripted engine (the reflector first, the sender against its port,
// the options passed through, the sender's very summary), and once with the real engine on loopback.
import { describe, expect, it } from 'vitest';
import { DEMO_COUNT, DEMO_INTERVAL_MS, parseDemoArguments } from '../src/commands/demo.js';
import { main } from '../src/main.js';
import { scriptedEngine, testIo } from './commands-support.js';

describe('twamp demo (scripted engine)', () => {
  it('opens a loopback reflector on a free port, runs the sender against it, prints the sender summary, closes the reflector', async () => {
    const io = testIo();
    const engine = scriptedEngine();
    expect(await main(['demo'], io, { engine })).toBe(0);
    expect(engine.calls).toEqual(['reflector', 'sender', 'reflector closed']);
    expect(engine.reflectors[0]?.options).toMatchObject({ family: 4, address: '127.0.0.1', port: 0, protocol: 'twamp-light', stateful: true });
    expect(engine.senders[0]).toMatchObject({
      target: { address: '127.0.0.1', port: 41000 },
      local: { address: '127.0.0.1', port: 0 },
      protocol: 'twamp-light',
      count: 200,
      schedule: { kind: 'periodic', intervalMs: 5 },
      reflectorStateful: true,
    });
    // The same text `twamp sender` prints for the same report: the sender's output, not another one.
    const sender = testIo();
    expect(await main(['sender', '127.0.0.1:41000', '-c', '200', '-i', '5'], sender, { engine: scriptedEngine() })).toBe(0);
    expect(io.out()).toContain('round trip');
    expect(io.out()).toBe(sender.out());
    expect(io.err()).toContain('twamp demo: TWAMP Light reflector on 127.0.0.1:41000/udp (stateful, node:dgram fallback');
    expect(io.err()).toContain('twamp demo: the reflector received 0 and sent 0 packets');
  });

  it('passes -c, -i, --stamp, --stateless, -6 and --json through', async () => {
    const io = testIo();
    const engine = scriptedEngine();
    expect(await main(['demo', '-c', '50', '-i', '0.5', '--stamp', '--stateless', '-6', '--json'], io, { engine })).toBe(0);
    expect(engine.reflectors[0]?.options).toMatchObject({ family: 6, address: '::1', port: 0, protocol: 'stamp', stateful: false });
    expect(engine.senders[0]).toMatchObject({
      target: { address: '::1', port: 41000 },
      local: { address: '::1', port: 0 },
      family: 6,
      protocol: 'stamp',
      count: 50,
      schedule: { intervalMs: 0.5 },
      reflectorStateful: false,
    });
    const json = JSON.parse(io.out()) as { schemaVersion: number };
    expect(json.schemaVersion).toBeTypeOf('number');
  });

  it.each([
    [['demo', '-c', '0'], '--count: expected an integer from 1 to 4294967295 packets, got "0"'],
    [['demo', '-i', '0'], '--interval: expected a number from 0.001 to 3600000 ms'],
    [['demo', '--padding', '99999'], '--padding: expected an integer from 0 to 9000 octets'],
    [['demo', '-4', '-6'], '-6: expected either -4 or -6, not both'],
    [['demo', 'somewhere'], 'arguments: expected at most the arguments'],
  ])('%j exits 2 naming the argument, before opening anything', async (argv, message) => {
    const io = testIo();
    const engine = scriptedEngine();
    expect(await main(argv, io, { engine })).toBe(2);
    expect(io.err()).toContain(`error: invalid configuration: ${message}`);
    expect(io.out()).toBe('');
    expect(engine.calls).toEqual([]);
  });

  it('-q keeps stderr quiet; -v and --jsonl are the sender\'s', async () => {
    const io = testIo();
    const engine = scriptedEngine();
    expect(await main(['demo', '-q'], io, { engine })).toBe(0);
    expect(io.err()).toBe('');
    expect(io.out()).toContain('round trip');
  });

  it('closes the reflector when the sender fails', async () => {
    const io = testIo();
    const engine = { ...scriptedEngine(), openSender: () => Promise.reject(new Error('no socket')) };
    expect(await main(['demo'], io, { engine })).toBe(1);
    expect(engine.calls).toEqual(['reflector', 'reflector closed']);
  });

  it('--help shows the demo\'s own defaults for -c and -i, once, not the sender\'s', async () => {
    const io = testIo();
    expect(await main(['demo', '--help'], io)).toBe(0);
    // Commander wraps option descriptions: compare with the whitespace collapsed.
    const help = io.out().replace(/\s+/g, ' ');
    expect(help).toContain(`-c, --count <n> packets to send, 1-4294967295 (default ${DEMO_COUNT},`);
    expect(help).toMatch(new RegExp(`-i, --interval <ms> .*?\\(default ${DEMO_INTERVAL_MS}\\)`));
    // The sender's -c 100 -i 100 must not appear, and no second list of defaults after the options.
    expect(help).not.toContain('(default 100');
    expect(help).not.toContain("The demo's defaults");
  });

  it('parses the same defaults as the help says', () => {
    const plan = parseDemoArguments({});
    expect(plan).toMatchObject({ family: 4, protocol: 'twamp-light', stateful: true });
    expect(plan.sender).toMatchObject({ count: 200, intervalMs: 5, protocol: 'twamp-light', reflectorStateful: true });
  });
});

describe('twamp demo (real engine, loopback)', () => {
  it('gets every reply back and exits 0', async () => {
    const io = testIo();
    expect(await main(['demo', '-c', '40', '-i', '2', '--json'], io)).toBe(0);
    const json = JSON.parse(io.out()) as { packets: { sent: number; received: number; lost: number } };
    expect(json.packets).toMatchObject({ sent: 40, received: 40, lost: 0 });
    expect(io.err()).toContain('twamp demo: the reflector received 40 and sent 40 packets');
  });
});
