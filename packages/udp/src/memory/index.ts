export { DEFAULT_VIRTUAL_START_NS, RealClock, VirtualClock, type NetworkClock, type SchedulerClock, type VirtualClockOptions, type WallTime } from './clock.js';
export type { Impairment, ImpairmentSpec, LinkPacket, LinkSelector, PacketFate } from './impairment.js';
export { MemoryNetwork, type MemoryNetworkOptions, type MemoryNetworkStats } from './network.js';
export { MEMORY_CAPABILITIES, type MemoryUdpSocket, type MemoryUdpSocketStats } from './socket.js';
