// The client side of a TWAMP test session negotiated over TWAMP-Control: reserve a sender port,
// Request-TW-Session, Start-Sessions, and open a Session-Sender with what the server accepted (the
// layout and keys of the mode, the receiver's address and port, the Padding Length). `twamp
// controller` and twampd's TWAMP targets both open their session here, so the two never disagree.
//
// This layer cannot import @twamp/control (a sibling on layer 2, see tooling/layers/layers.cjs), so
// the connected client is injected and described structurally: control's ControlClient and its
// NegotiatedSession satisfy these interfaces as they are. The caller connects and closes the client.
import { reserveUdpPort, type IpFamily } from '@twamp/udp';
import { addressFamilyOf, type TestPacketCrypto, type TwampLayout } from '@twamp/wire';
import type { SessionSenderOptions } from '../sender/index.js';
import type { Endpoint } from '../types.js';

/** The fields of control's SessionRequestOptions this helper sets. */
export interface NegotiatedSessionRequest {
  /** No address: unspecified, the server takes the control connection's. */
  readonly sender: { readonly address?: string; readonly port: number };
  /** Port 0: the server's choice. */
  readonly receiver: { readonly port: number };
  readonly paddingLength?: number;
  readonly timeoutSeconds?: number;
  readonly dscp?: number;
}

/** The fields of control's NegotiatedSession (one accepted Request-TW-Session) the sender needs. */
export interface AcceptedTestSession {
  readonly layout: TwampLayout;
  /** The Session-Sender endpoint as accepted (a zero address already replaced by the control connection's). */
  readonly sender: Endpoint;
  /** Where the Session-Reflector answers. */
  readonly receiver: Endpoint;
  readonly paddingLength: number;
  /** A fresh test-packet crypto for this side (undefined in open and mixed modes). */
  createCrypto(): TestPacketCrypto | undefined;
}

/** A connected TWAMP-Control client (control's ControlClientApi), as far as this helper uses it. */
export interface NegotiatingClient<S extends AcceptedTestSession> {
  /** The control connection's local endpoint: test packets leave from its address unless told otherwise. */
  readonly local: Endpoint;
  requestSession(request: NegotiatedSessionRequest): Promise<S>;
  startSessions(): Promise<void>;
}

/** The sender's own settings; the session's (target, local, family, protocol, layout, crypto, padding) come from the server. */
export type NegotiatedSenderSettings = Omit<SessionSenderOptions, 'target' | 'local' | 'family' | 'protocol' | 'layout' | 'crypto' | 'padding'>;

/** What the sender needs to be stopped if the set-up fails after it opened. */
export interface StoppableSender {
  stop(): void;
}

export interface NegotiatedSenderOptions<S extends AcceptedTestSession, T extends StoppableSender> {
  readonly client: NegotiatingClient<S>;
  /** Address to send from; default the control connection's local address. Named in the request only when given. */
  readonly localAddress?: string | undefined;
  /** UDP port to send from; undefined or 0: a free port of `localAddress`, reserved now. */
  readonly localPort?: number | undefined;
  /** The reflector port to ask for; default 0 (the server's choice). */
  readonly receiverPort?: number | undefined;
  /** Padding Length to ask for; default the client's (symmetric for the mode). */
  readonly paddingLength?: number | undefined;
  /** Request-TW-Session Timeout, seconds; default the client's. */
  readonly timeoutSeconds?: number | undefined;
  /** The Type-P DSCP to announce; default the client's (0). */
  readonly dscp?: number | undefined;
  /** The sender's settings, or a function of the accepted session that makes them (called once, just before the sender opens). */
  readonly sender: NegotiatedSenderSettings | ((session: S) => NegotiatedSenderSettings);
  /**
   * Every step's promise (port, request, start, sender) passes through here before it counts: the
   * CLI races it against Ctrl-C, the daemon checks whether the target was stopped meanwhile. A
   * rejection ends the set-up; a sender that opens after it is stopped. Default: the promise itself.
   */
  readonly step?: <V>(promise: Promise<V>) => Promise<V>;
  /** Default: @twamp/udp's reserveUdpPort. */
  readonly reservePort?: (family: IpFamily, address: string) => Promise<number>;
  /** Opens the sender: `SessionSender.open`, or the caller's wrapper of it (the CLI's engine; the daemon adds its observer). */
  readonly openSender: (options: SessionSenderOptions) => Promise<T>;
}

export interface NegotiatedSender<S extends AcceptedTestSession, T extends StoppableSender> {
  /** The accepted session, as the client returned it. */
  readonly session: S;
  /** The sender, open and sending to the session's receiver (started: Start-Sessions was acknowledged). */
  readonly sender: T;
  /** The options the sender was opened with. */
  readonly options: SessionSenderOptions;
}

function familyOf(address: string): IpFamily {
  return addressFamilyOf(address) ?? 4;
}

const identity = <V>(promise: Promise<V>): Promise<V> => promise;

/**
 * Request-TW-Session, Start-Sessions and a Session-Sender with the negotiated layout, crypto, padding
 * and receiver, on a connected client. Rejects with the client's typed errors (PeerRejectedError for
 * a refusal, TimeoutError, NetworkError) or whatever `step` rejects with; the client stays open
 * either way (the caller owns it: closing it releases the session on the server).
 */
export async function openNegotiatedSender<S extends AcceptedTestSession, T extends StoppableSender>(
  options: NegotiatedSenderOptions<S, T>,
): Promise<NegotiatedSender<S, T>> {
  const { client } = options;
  const step = options.step ?? identity;
  // Packets leave from where the control connection does unless told otherwise, so a server that
  // reads a zero Sender Address as the control connection's sees them come from the right place.
  const senderAddress = options.localAddress ?? client.local.address;
  const reserve = options.reservePort ?? reserveUdpPort;
  const senderPort = options.localPort !== undefined && options.localPort !== 0 ? options.localPort : await step(reserve(familyOf(senderAddress), senderAddress));
  const session = await step(
    client.requestSession({
      sender: { ...(options.localAddress === undefined ? {} : { address: options.localAddress }), port: senderPort },
      receiver: { port: options.receiverPort ?? 0 },
      ...(options.paddingLength === undefined ? {} : { paddingLength: options.paddingLength }),
      ...(options.timeoutSeconds === undefined ? {} : { timeoutSeconds: options.timeoutSeconds }),
      ...(options.dscp === undefined ? {} : { dscp: options.dscp }),
    }),
  );
  await step(client.startSessions());
  const crypto = session.createCrypto();
  const settings = typeof options.sender === 'function' ? options.sender(session) : options.sender;
  const senderOptions: SessionSenderOptions = {
    ...settings,
    target: { address: session.receiver.address, port: session.receiver.port },
    local: { address: senderAddress, port: session.sender.port },
    family: familyOf(session.receiver.address),
    protocol: 'twamp',
    layout: session.layout,
    ...(crypto === undefined ? {} : { crypto }),
    padding: session.paddingLength,
  };
  const opening = options.openSender(senderOptions);
  try {
    const sender = await step(opening);
    return { session, sender, options: senderOptions };
  } catch (error) {
    // Abandoned while (or just after) it opened: it must not keep sending for nobody.
    opening.then(
      (sender) => {
        sender.stop();
      },
      () => undefined,
    );
    throw error;
  }
}
