import { twampProject } from '@twamp/vitest-config';

// Control tests listen on TCP ports and some hold many connections: run files one at a time.
export default twampProject('@twamp/control', { fileParallelism: false });
