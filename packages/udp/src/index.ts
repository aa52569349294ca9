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
