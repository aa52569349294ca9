// `twamp demo`: a reflector and a sender in this one process, over loopback, on a port the system
// picks. The quickest proof that install, sockets and timestamps work: it runs the very same sender
// as `twamp sender` (same plan, same run, same summary), only against a reflector it opened itself.
import { formatEndpoint } from '@twamp/errors';
import type { Command } from 'commander';
import type { ReflectorOptions } from '@twamp/test-session';
import type { IpFamily } from '@twamp/udp';
import { debugRequested } from '../options/logging.js';
import { chooseFamily } from '../options/network.js';
import { implementationDescription, protocolName } from '../output/names.js';
import { type CommandContext, writeLine } from './context.js';
import { loopbackAddress } from './resolve.js';
import { addTestOptions, type RawTestOptions, type TestDefaults } from '../options/test-options.js';
import { parseTestPlan, runSender, type SenderPlan } from './sender.js';

export const DEMO_COUNT = 200;
export const DEMO_INTERVAL_MS = 5;
/** Quick and dense: what the demo's -c and -i default to (and its help says). */
const DEMO_DEFAULTS: TestDefaults = { count: DEMO_COUNT, intervalMs: DEMO_INTERVAL_MS };

/** The test options the table lists for the demo (--stamp and --stateless also shape its reflector), and -4/-6. */
export type RawDemoOptions = RawTestOptions & {
  readonly ipv4?: boolean;
  readonly ipv6?: boolean;
};

export interface DemoPlan {
  readonly family: IpFamily;
  readonly protocol: 'twamp-light' | 'stamp';
  readonly stateful: boolean;
  /** The sender's plan; its remote port is the reflector's, known once it is open. */
  readonly sender: SenderPlan;
}

/** Checks every argument of `twamp demo` (the sender's options as `twamp sender` reads them). Pure. */
export function parseDemoArguments(raw: RawDemoOptions, debug = false): DemoPlan {
  const family = chooseFamily({ ipv4: raw.ipv4, ipv6: raw.ipv6 }, []);
  const sender = parseTestPlan(
    'demo',
    undefined,
    undefined,
    { ...raw, ...(family === 6 ? { ipv6: true, ipv4: false } : { ipv4: true, ipv6: false }) },
    { debug, defaults: DEMO_DEFAULTS },
  );
  return { family, protocol: sender.protocol, stateful: sender.reflectorStateful, sender };
}

export function demoReflectorOptions(plan: DemoPlan): ReflectorOptions {
  return {
    family: plan.family,
    address: loopbackAddress(plan.family),
    port: 0,
    protocol: plan.protocol,
    stateful: plan.stateful,
    // One sender, one session: small bounds, and nobody else on loopback gets answered.
    maxSessions: 4,
    allowedSources: [plan.family === 4 ? '127.0.0.0/8' : '::1/128'],
  };
}

/** Opens the reflector, runs the sender against it, closes the reflector. Returns the sender's exit code. */
export async function runDemo(plan: DemoPlan, context: CommandContext): Promise<number> {
  const reflector = await context.engine.openReflector(demoReflectorOptions(plan));
  // The demo's own lines are status lines, like the sender's start line: stderr, silenced by -q.
  const say = (text: string): void => {
    if (plan.sender.logging.verbosity !== 'quiet') writeLine(context.io.stderr, text);
  };
  try {
    say(
      `twamp demo: ${protocolName(plan.protocol)} reflector on ${formatEndpoint(reflector.localAddress, reflector.localPort)}/udp (${plan.stateful ? 'stateful' : 'stateless'}, ${implementationDescription(reflector.capabilities)}); the sender follows`,
    );
    // Both ends on the loopback address: nothing of the demo is reachable from elsewhere.
    // One process, one clock: one-way delays need no synchronisation.
    const sender: SenderPlan = {
      ...plan.sender,
      sharedClock: true,
      remote: { ...plan.sender.remote, address: reflector.localAddress, isHostName: false, port: reflector.localPort },
      local: { ...plan.sender.local, address: loopbackAddress(plan.family), isHostName: false },
    };
    const code = await runSender(sender, context);
    const { stats } = reflector;
    say(`twamp demo: the reflector received ${stats.packetsIn} and sent ${stats.packetsOut} packets`);
    return code;
  } finally {
    reflector.close();
  }
}

export function registerDemo(program: Command, context: CommandContext): void {
  const command = program
    .command('demo')
    .description(`run a reflector and a sender on loopback in this process and print the sender's summary (${DEMO_COUNT} packets, ${DEMO_INTERVAL_MS} ms apart)`)
    .option('-4, --ipv4', 'over 127.0.0.1 (default)')
    .option('-6, --ipv6', 'over ::1');
  // The table's options the demo lists (--stamp, --stateless, the test packets and the output), read
  // as `twamp sender` reads them, with the demo's own defaults.
  addTestOptions(command, 'demo', DEMO_DEFAULTS)
    .addHelpText('after', '\nThe reflector answers only loopback sources and closes when the sender is done.')
    .action(async (raw: RawDemoOptions, self: Command) => {
      const plan = parseDemoArguments(raw, debugRequested(self));
      context.exitCode = await runDemo(plan, context);
    });
}
