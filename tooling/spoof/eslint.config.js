import { twampConfig } from '@twamp/eslint-config';

export default twampConfig({ rootDir: import.meta.dirname });
