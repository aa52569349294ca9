// `twamp --version`: what a bug report needs in three lines: the versions, which UDP implementation a
// socket would get here (and why), and the Node.js runtime.
import { readFileSync } from 'node:fs';
import { formatError } from '@twamp/errors';
import { udpImplementationStatus, type UdpImplementationStatus } from '@twamp/udp';

/** The package that runs the command line (the `twamp` app), when it says so. */
export interface AppInfo {
  readonly name: string;
  readonly version: string;
}

/** @twamp/cli's own version, from its package.json (../package.json from both src/ and dist/). */
export function cliVersion(): string {
  const text = readFileSync(new URL('../../package.json', import.meta.url), 'utf8');
  return (JSON.parse(text) as { version: string }).version;
}

function udpLine(status: () => UdpImplementationStatus): string {
  try {
    const { implementation, reason } = status();
    const name = implementation === 'native' ? 'native socket addon' : 'node:dgram fallback';
    return `udp: ${name} (${reason})`;
  } catch (error) {
    // An invalid TWAMP_UDP_IMPL must not hide the version; say what is wrong instead.
    const first = formatError(error).split('\n')[0] ?? '';
    return `udp: unknown: ${first.replace(/^error: /, '')}`;
  }
}

/** `twamp 0.1.0 (@twamp/cli 0.1.0)`, `udp: native socket addon (...)`, `node: v20.19.0 on linux x64`. */
export function versionText(app: AppInfo | undefined, status: () => UdpImplementationStatus = udpImplementationStatus): string {
  const cli = cliVersion();
  const head = app === undefined ? `twamp (@twamp/cli ${cli})` : `${app.name} ${app.version} (@twamp/cli ${cli})`;
  return [head, udpLine(status), `node: ${process.version} on ${process.platform} ${process.arch}`].join('\n');
}
