// From a parsed endpoint argument to the address a socket uses: defaults per role, host names resolved.
import type { IpFamily } from '@twamp/udp';
import type { EndpointArgument } from '../options/address.js';
import type { CommandContext } from './context.js';

/** Remote endpoints without an address mean this host, as in twampy. */
export function loopbackAddress(family: IpFamily): string {
  return family === 4 ? '127.0.0.1' : '::1';
}

/** Local endpoints without an address mean every address of the family. */
export function wildcardAddress(family: IpFamily): string {
  return family === 4 ? '0.0.0.0' : '::';
}

export async function resolveAddress(
  endpoint: EndpointArgument,
  family: IpFamily,
  fallback: string,
  context: CommandContext,
): Promise<string> {
  if (endpoint.address === undefined) return fallback;
  if (!endpoint.isHostName) return endpoint.address;
  return context.engine.resolve(endpoint.address, family);
}
