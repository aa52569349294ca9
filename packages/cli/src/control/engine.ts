// What the TWAMP-Control commands need beyond the measurement engine: @twamp/control's client and
// server, key files, the environment, a passphrase prompt on the terminal, and a free UDP port to
// name in Request-TW-Session. An interface so that command tests can script every piece.
import {
  ControlClient,
  type ControlClientApi,
  type ControlClientOptions,
  ControlServer,
  type ControlServerApi,
  type ControlServerOptions,
  type KeyFileWarning,
  type KeyStore,
  loadKeyFile,
} from '@twamp/control';
import { NetworkError, TimeoutError } from '@twamp/errors';
import { type IpFamily, reserveUdpPort } from '@twamp/udp';
import { systemDetail } from '../errors/network-detail.js';
import type { CliWriter } from '../io.js';

export interface ControlListenOptions extends ControlServerOptions {
  readonly address: string;
  readonly port: number;
  readonly family: IpFamily;
}

export interface ControlEngine {
  connect(options: ControlClientOptions): Promise<ControlClientApi>;
  listen(options: ControlListenOptions): Promise<ControlServerApi>;
  /**
   * A key file (perfSONAR `identity hex`, or plain `identity: passphrase`), as control's loadKeyFile
   * reads it; `onWarning` gets what the file should fix (a secret shorter than 16 octets).
   */
  loadKeys(path: string, onWarning?: (warning: KeyFileWarning) => void): Promise<KeyStore>;
  env(name: string): string | undefined;
  /**
   * Reads a passphrase from the terminal without echoing it; undefined when stdin is not a
   * terminal. Rejects with PromptInterrupted on Ctrl-C.
   */
  promptSecret(prompt: string, stderr: CliWriter): Promise<string | undefined>;
  /** A UDP port free right now on `address` (bound and released), to name in Request-TW-Session. */
  reservePort(family: IpFamily, address: string): Promise<number>;
}

/** Ctrl-C at the passphrase prompt (the terminal is in raw mode there, so no SIGINT arrives). */
export class PromptInterrupted extends Error {
  override readonly name = 'PromptInterrupted';
  constructor() {
    super('interrupted at the passphrase prompt');
  }
}

/** A person gets five minutes to type a passphrase. */
const PROMPT_TIMEOUT_MS = 300_000;

/**
 * The keys typed at the passphrase prompt, one chunk of raw-mode input at a time: Enter (or Ctrl-D)
 * ends it, Ctrl-C interrupts, Backspace removes the last character. Pure, so it can be tested
 * without a terminal.
 */
export class PassphraseInput {
  #text = '';

  get text(): string {
    return this.#text;
  }

  /** 'done' or 'interrupted' once the input is over (later characters of the chunk are ignored). */
  feed(chunk: string): 'done' | 'interrupted' | undefined {
    for (const char of chunk) {
      if (char === '\r' || char === '\n' || char === '\u0004') return 'done';
      if (char === '\u0003') return 'interrupted';
      if (char === '\u007f' || char === '\b') this.#text = Array.from(this.#text).slice(0, -1).join('');
      else this.#text += char;
    }
    return undefined;
  }
}

function promptSecret(prompt: string, stderr: CliWriter): Promise<string | undefined> {
  const stdin = process.stdin;
  if (!stdin.isTTY) return Promise.resolve(undefined);
  stderr.write(prompt);
  return new Promise((resolve, reject) => {
    const input = new PassphraseInput();
    const finish = (): void => {
      clearTimeout(timer);
      stdin.off('data', onData);
      stdin.setRawMode(false);
      stdin.pause();
      stderr.write('\n');
    };
    const timer = setTimeout(() => {
      finish();
      reject(new TimeoutError({ waitingFor: 'the passphrase to be typed', afterMs: PROMPT_TIMEOUT_MS }));
    }, PROMPT_TIMEOUT_MS);
    // Raw mode: every key arrives as typed and nothing is echoed.
    const onData = (chunk: string): void => {
      const state = input.feed(chunk);
      if (state === undefined) return;
      finish();
      if (state === 'done') resolve(input.text);
      else reject(new PromptInterrupted());
    };
    stdin.setEncoding('utf8');
    stdin.setRawMode(true);
    stdin.resume();
    stdin.on('data', onData);
  });
}

/** A listen failure (EADDRINUSE, EACCES) as the NetworkError every command renders. */
function listenError(error: unknown, options: ControlListenOptions): unknown {
  if (error instanceof NetworkError || !(error instanceof Error)) return error;
  const code = (error as NodeJS.ErrnoException).code;
  if (typeof code !== 'string') return error;
  const endpoint = options.address.includes(':') ? `[${options.address}]:${options.port}` : `${options.address}:${options.port}`;
  // node's message repeats the code and the address the NetworkError already names: only its words.
  return new NetworkError({ operation: 'listen (TCP)', systemCode: code, endpoint, detail: systemDetail(error, code) });
}

/** The real control engine. */
export const defaultControlEngine: ControlEngine = {
  connect: (options) => ControlClient.connect(options),
  listen: async (options) => {
    try {
      return await ControlServer.listen(options);
    } catch (error) {
      throw listenError(error, options);
    }
  },
  loadKeys: (path, onWarning) => loadKeyFile(path, onWarning === undefined ? {} : { onWarning }),
  env: (name) => process.env[name],
  promptSecret,
  reservePort: reserveUdpPort,
};
