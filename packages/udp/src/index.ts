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
