// Child process of netns.test.ts, run inside a namespace with
// `ip netns exec NS node --conditions=@twamp/source --import tsx test/integration/netns/peer.ts '<json>'`.
// Prints JSON lines. Bounded: the reflector exits when its stdin closes or after timeoutMs, the
// sender when its run is over (count packets) or after timeoutMs.
//
//   reflector: {"ready":PORT,"capabilities":…} once bound, then {"stats":…} when it stops;
//   sender:    {"report":…} (the SenderReport).

import type { UdpImplementation } from '@twamp/udp';
import { SessionReflector, SessionSender } from '../../../src/index.js';

export interface PeerConfig {
  readonly role: 'reflector' | 'sender';
  readonly address: string;
  readonly implementation: UdpImplementation;
  readonly timeoutMs: number;
  readonly target?: string;
  readonly port?: number;
  readonly count?: number;
}

const config = JSON.parse(process.argv[2] ?? '{}') as PeerConfig;
const print = (value: unknown): void => {
  process.stdout.write(`${JSON.stringify(value)}\n`);
};

if (config.role === 'reflector') {
  const reflector = await SessionReflector.open({ family: 4, address: config.address, port: 0, protocol: 'stamp', implementation: config.implementation });
  print({ ready: reflector.localPort, capabilities: reflector.capabilities });
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, config.timeoutMs);
    process.stdin.on('close', () => {
      clearTimeout(timer);
      resolve();
    });
    process.stdin.resume();
  });
  print({ stats: reflector.stats });
  reflector.close();
} else {
  const controller = new AbortController();
  const timer = setTimeout(() => {
    controller.abort();
  }, config.timeoutMs);
  const sender = await SessionSender.open({
    family: 4,
    protocol: 'stamp',
    target: { address: config.target ?? '', port: config.port ?? 0 },
    local: { address: config.address },
    count: config.count ?? 10,
    // Spaced out so the first packets may wait for ARP without the neighbour queue dropping any.
    schedule: { kind: 'periodic', intervalMs: 20 },
    lossTimeoutMs: 2000,
    implementation: config.implementation,
    signal: controller.signal,
  });
  const report = await sender.done;
  clearTimeout(timer);
  print({ report });
}
