export type {
  ClockStatus,
  IpFamily,
  ReceiveBatch,
  SendOptions,
  UdpCapabilities,
  UdpImplementation,
  UdpSocket,
  UdpSocketOptions,
  UdpSocketStats,
} from './types.js';
export {
  clockStatus,
  monotonicClockReader,
  type NativeLoadStatus,
  openUdpSocket,
  UDP_IMPLEMENTATION_ENV,
  udpImplementationStatus,
  type UdpImplementationStatus,
} from './open.js';
export { reserveUdpPort } from './reserve-port.js';
export { isLocalAddress } from './local-address.js';
export {
  DEFAULT_VIRTUAL_START_NS,
  type Impairment,
  type ImpairmentSpec,
  type LinkPacket,
  type LinkSelector,
  MEMORY_CAPABILITIES,
  MemoryNetwork,
  type MemoryNetworkOptions,
  type MemoryNetworkStats,
  type MemoryUdpSocket,
  type MemoryUdpSocketStats,
  type NetworkClock,
  type PacketFate,
  RealClock,
  type SchedulerClock,
  VirtualClock,
  type VirtualClockOptions,
  type WallTime,
} from './memory/index.js';
