// The benchmarks' shared machinery comes from @twamp/bench-kit (children, blast.c, /proc, the rate
// search); this package's helper scripts are named relative to the package, so children run there.
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setChildDirectory } from '@twamp/bench-kit';

export * from '@twamp/bench-kit';

export const benchDir = dirname(fileURLToPath(import.meta.url));
export const packageDir = resolve(benchDir, '..');
setChildDirectory(packageDir);
