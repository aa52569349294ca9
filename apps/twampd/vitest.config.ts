import { twampProject } from '@twamp/vitest-config';

export default twampProject('twampd');
