import { twampProject } from '@twamp/vitest-config';

// Socket tests share the machine's network stack: run files one at a time.
export default twampProject('@twamp/udp', { fileParallelism: false });
