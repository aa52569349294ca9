// Opening one target's measurement session: a Session-Sender straight to a TWAMP Light or STAMP
// reflector, or, for TWAMP, a TWAMP-Control client first (connect, Request-TW-Session, Start-Sessions)
// and then a sender with the negotiated layout and keys to the negotiated receiver. The same steps
// as the CLI's `twamp controller`, without its terminal and signal handling.
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { ControlClient, type ControlClientApi, type KeyStore } from '@twamp/control';
import { ConfigError, NetworkError } from '@twamp/errors';
import { openNegotiatedSender, type SenderEvent, type SenderSchedule, SessionSender, type SessionSenderOptions } from '@twamp/test-session';
import { type IpFamily, isLocalAddress } from '@twamp/udp';
import { Mode, parseSecurityMode, type SecurityMode, securityModeWord, StampSecurity, tosFrom } from '@twamp/wire';
import type { AgentTargetConfig, SecurityModeWord } from '../types.js';

export interface TargetSession {
  readonly sender: SessionSender;
  /** The mode in use: negotiated (TWAMP) or configured (Light, STAMP). */
  readonly mode: SecurityModeWord;
  /** TWAMP: the control connection the session lives on; undefined for Light and STAMP. */
  readonly control: ControlClientApi | undefined;
  /** The reflector's test address is local: sender and reflector read one clock. */
  readonly sharedClock: boolean;
}

export interface OpenSessionContext {
  readonly keys: KeyStore | undefined;
  /** Attached to the sender as soon as it exists, before it sends anything. */
  readonly onEvent: (event: SenderEvent) => void;
  /** True once the session is no longer wanted (stop or reload during set-up). */
  readonly cancelled: () => boolean;
  /** Host name → address (default: the system resolver, dns.lookup). */
  readonly lookup?: HostLookup | undefined;
}

/** Resolves a host name to one address of `family` (0: any), rejecting as dns.lookup does (error.code ENOTFOUND, ...). */
export type HostLookup = (hostname: string, family: 0 | 4 | 6) => Promise<string>;

const systemLookup: HostLookup = async (hostname, family) => (await lookup(hostname, { family })).address;

/** The set-up was abandoned because the target stopped meanwhile; whatever was opened is closed. */
export class SetupCancelled extends Error {
  override readonly name = 'SetupCancelled';
  constructor() {
    super('target stopped during set-up');
  }
}

/** The mode a target reports before it has negotiated one: its first (preferred) configured mode. */
export function configuredMode(target: AgentTargetConfig): SecurityModeWord {
  if (target.protocol === 'twamp-light') return 'open';
  return target.modes[0] ?? 'open';
}

function familyOf(address: string): IpFamily {
  return isIP(address) === 6 ? 6 : 4;
}

/** An IP literal as is; a host name through the system resolver (the local address's family when one is set). */
export async function resolveTargetAddress(target: AgentTargetConfig, resolve: HostLookup = systemLookup): Promise<string> {
  if (isIP(target.address) !== 0) return target.address;
  const family = target.localAddress === undefined || isIP(target.localAddress) === 0 ? 0 : familyOf(target.localAddress);
  try {
    return await resolve(target.address, family);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new NetworkError({
      operation: 'resolve',
      systemCode: typeof code === 'string' ? code : 'ENOTFOUND',
      endpoint: target.address,
      detail: error instanceof Error ? error.message : String(error),
    });
  }
}

function secretFor(target: AgentTargetConfig, keys: KeyStore | undefined): Uint8Array | undefined {
  if (target.keyId === undefined) return undefined;
  const secret = keys?.secret(target.keyId);
  if (secret === undefined) {
    throw new ConfigError([{ path: `agent.targets (${target.name}).keyId`, expected: 'an identity of security.keyFile', received: JSON.stringify(target.keyId) }]);
  }
  return secret;
}

function schedule(target: AgentTargetConfig): SenderSchedule {
  return target.schedule === 'poisson' ? { kind: 'poisson', meanIntervalMs: target.intervalMs } : { kind: 'periodic', intervalMs: target.intervalMs };
}

/** What every target's sender shares: continuous (no count or duration), one interval report per window. */
function commonSenderOptions(target: AgentTargetConfig, family: IpFamily): Omit<SessionSenderOptions, 'target' | 'protocol'> {
  return {
    family,
    schedule: schedule(target),
    ...(target.dscp === 0 ? {} : { tos: tosFrom(target.dscp) }),
    ttl: target.ttl,
    lossTimeoutMs: target.lossTimeoutMs,
    intervalReportMs: target.windowMs,
    // Targets are read window by window: a run-long copy of every distribution would only cost memory
    // (up to seven histograms per target, thousands of targets).
    sessionDistributions: false,
    reflectorStateful: target.reflectorStateful,
    // Timer-only waits: thousands of targets must leave the CPU idle between packets. T1 is still
    // read at the real send, so only the schedule moves (by about a millisecond), never the measurement.
    precise: false,
  };
}

async function openSender(options: SessionSenderOptions, context: OpenSessionContext): Promise<{ sender: SessionSender; sharedClock: boolean }> {
  // A reflector at an address of this host (a Light/STAMP target, or a TWAMP server's test address)
  // reads our clock: its windows' one-way delays are valid without synchronised clocks.
  const sharedClock = isLocalAddress(options.target.address);
  const sender = await SessionSender.open({ ...options, sharedClock });
  // The sender sends from the next turn of the loop on: this handler sees every event. Packet
  // results are the sender's reused object (observers read them during the call and keep nothing):
  // no allocation per reply.
  sender.onEvent(context.onEvent, { reusePacketResults: true });
  if (context.cancelled()) {
    sender.stop();
    throw new SetupCancelled();
  }
  return { sender, sharedClock };
}

async function openReflectorSession(target: AgentTargetConfig, address: string, context: OpenSessionContext): Promise<TargetSession> {
  const authenticated = target.protocol === 'stamp' && configuredMode(target) === 'authenticated';
  const stampKey = authenticated ? secretFor(target, context.keys) : undefined;
  if (authenticated && stampKey === undefined) {
    throw new ConfigError([{ path: `agent.targets (${target.name}).keyId`, expected: 'a key identity for authenticated STAMP' }]);
  }
  const { sender, sharedClock } = await openSender(
    {
      ...commonSenderOptions(target, familyOf(address)),
      target: { address, port: target.port },
      ...(target.localAddress === undefined ? {} : { local: { address: target.localAddress } }),
      protocol: target.protocol,
      padding: target.padding,
      ...(target.protocol === 'stamp' && target.ssid !== undefined ? { ssid: target.ssid } : {}),
      ...(target.protocol === 'stamp' ? { stampSecurity: authenticated ? StampSecurity.Authenticated : StampSecurity.Open } : {}),
      ...(stampKey === undefined ? {} : { stampKey }),
    },
    context,
  );
  return { sender, mode: configuredMode(target), control: undefined, sharedClock };
}


function allowedModes(target: AgentTargetConfig): { readonly bits: number; readonly preference: SecurityMode[] } {
  const preference = target.modes.map((name) => parseSecurityMode(name, `agent.targets (${target.name}).modes`));
  return { bits: preference.reduce((bits, mode) => bits | mode, 0), preference };
}

async function openTwampSession(target: AgentTargetConfig, address: string, context: OpenSessionContext): Promise<TargetSession> {
  if (target.padding === 'imix') {
    throw new ConfigError([{ path: `agent.targets (${target.name}).padding`, expected: 'a number of octets or symmetric (a TWAMP session has one Padding Length)', received: 'imix' }]);
  }
  const modes = allowedModes(target);
  const secret = (modes.bits & ~Mode.Unauthenticated) === 0 ? undefined : secretFor(target, context.keys);
  const client = await ControlClient.connect({
    server: { address, port: target.port },
    ...(target.localAddress === undefined ? {} : { local: { address: target.localAddress } }),
    allowedModes: modes.bits,
    preference: modes.preference,
    ...(secret === undefined || target.keyId === undefined ? {} : { keyId: target.keyId, secret }),
  });
  try {
    if (context.cancelled()) throw new SetupCancelled();
    // The steps `twamp controller` takes too (port, request, start, sender), with the target stopped
    // or reloaded meanwhile checked after each.
    let sharedClock = false;
    const { sender } = await openNegotiatedSender({
      client,
      localAddress: target.localAddress,
      ...(typeof target.padding === 'number' ? { paddingLength: target.padding } : {}),
      dscp: target.dscp,
      sender: (session) => commonSenderOptions(target, familyOf(session.receiver.address)),
      step: async (promise) => {
        const value = await promise;
        if (context.cancelled()) throw new SetupCancelled();
        return value;
      },
      openSender: async (options) => {
        const opened = await openSender(options, context);
        sharedClock = opened.sharedClock;
        return opened.sender;
      },
    });
    return { sender, mode: securityModeWord(client.securityMode), control: client, sharedClock };
  } catch (error) {
    client.close();
    throw error;
  }
}

/** Resolve, connect (TWAMP) and open the sender. Throws typed errors (NetworkError, TimeoutError, PeerRejectedError, ...) or SetupCancelled. */
export async function openTargetSession(target: AgentTargetConfig, context: OpenSessionContext): Promise<TargetSession> {
  const address = await resolveTargetAddress(target, context.lookup);
  if (context.cancelled()) throw new SetupCancelled();
  return target.protocol === 'twamp' ? openTwampSession(target, address, context) : openReflectorSession(target, address, context);
}
