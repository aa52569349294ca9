import type { Linter } from 'eslint';

export declare function twampConfig(options: { rootDir: string }): Linter.Config[];
