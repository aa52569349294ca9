// Forged-source UDP for the attack tests: a reflector must survive packets that claim to come from
// itself, from port 0, from another reflector or from thousands of addresses. Node has no raw
// sockets, so a short Python script (python3 is on every machine that builds the native addon)
// writes whole IP packets through a raw socket. Needs root (CAP_NET_RAW); destinations are limited
// to loopback and the benchmarking range 198.18.0.0/15, checked here and again in the script.
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const SCRIPT = fileURLToPath(new URL('./raw-send.py', import.meta.url));

export interface SpoofEndpoint {
  readonly address: string;
  readonly port: number;
}

export interface SpoofedDatagram {
  /** The forged source: any address of the destination's family, any port (0 included). */
  readonly source: SpoofEndpoint;
  /** Loopback (127.0.0.0/8, ::1) or 198.18.0.0/15 only. */
  readonly destination: SpoofEndpoint;
  readonly payload: Uint8Array;
  /** How many copies to send back to back. Default 1. */
  readonly count?: number;
  /** IP TTL / Hop Limit. Default 64. */
  readonly ttl?: number;
  /** IP TOS / Traffic Class. Default 0. */
  readonly tos?: number;
}

function allowedDestination(address: string): boolean {
  if (address === '::1') return true;
  const octets = address.split('.').map(Number);
  if (octets.length !== 4) return false;
  const [a, b] = octets;
  return a === 127 || (a === 198 && (b === 18 || b === 19));
}

let capable: boolean | undefined;

/**
 * Whether forged datagrams can be sent here (python3 present and a raw socket may be opened).
 * Tests skip when this is false, unless TWAMP_REQUIRE_RAW=1 (CI), where they must run.
 */
export function canSpoof(): boolean {
  if (capable !== undefined) return capable;
  const probe = spawnSync('python3', ['-c', 'import socket; socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW).close()'], {
    stdio: 'ignore',
    timeout: 10_000,
  });
  capable = probe.status === 0;
  return capable;
}

/** Send the datagrams in order; resolves with how many left. Rejects on a refused destination or a failed send. */
export async function sendSpoofed(datagrams: readonly SpoofedDatagram[]): Promise<number> {
  for (const d of datagrams) {
    if (!allowedDestination(d.destination.address)) {
      throw new Error(`refusing to send forged packets to ${d.destination.address}: loopback and 198.18.0.0/15 only`);
    }
  }
  const request = JSON.stringify({
    datagrams: datagrams.map((d) => ({
      src: d.source.address,
      sport: d.source.port,
      dst: d.destination.address,
      dport: d.destination.port,
      payload: Buffer.from(d.payload.buffer, d.payload.byteOffset, d.payload.byteLength).toString('hex'),
      count: d.count ?? 1,
      ttl: d.ttl ?? 64,
      tos: d.tos ?? 0,
    })),
  });
  return new Promise((resolve, reject) => {
    const child = spawn('python3', [SCRIPT], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
    }, 60_000);
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      if (code !== 0) {
        reject(new Error(`raw-send exited ${String(code)}: ${err.trim()}`));
        return;
      }
      try {
        resolve((JSON.parse(out) as { sent: number }).sent);
      } catch {
        reject(new Error(`raw-send printed ${JSON.stringify(out)}`));
      }
    });
    child.stdin.end(request);
  });
}

/** Whether spoofing tests must run (CI sets TWAMP_REQUIRE_RAW=1) rather than skip. */
export const spoofRequired = process.env['TWAMP_REQUIRE_RAW'] === '1';
