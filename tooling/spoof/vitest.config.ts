import { twampProject } from '@twamp/vitest-config';

export default twampProject('@twamp/spoof');
