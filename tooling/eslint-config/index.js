// Shared flat config for every @twamp package. Type-aware rules run through the TypeScript
// project service, so each package's tsconfig.json (which covers src, test and bench) is used.
import js from '@eslint/js';
import importX from 'eslint-plugin-import-x';
import globals from 'globals';
import tseslint from 'typescript-eslint';

/**
 * @param {{ rootDir: string }} options rootDir is the directory that holds the tsconfig files.
 */
export function twampConfig({ rootDir }) {
  return tseslint.config(
    {
      ignores: [
        '**/dist/**',
        '**/node_modules/**',
        '**/coverage/**',
        '**/.turbo/**',
        '**/fixtures/**',
        '**/*.cjs',
      ],
    },
    js.configs.recommended,
    ...tseslint.configs.strictTypeChecked,
    ...tseslint.configs.stylisticTypeChecked,
    {
      languageOptions: {
        globals: { ...globals.node },
        parserOptions: {
          projectService: true,
          tsconfigRootDir: rootDir,
        },
      },
      plugins: { 'import-x': importX },
      rules: {
        // Packages talk to each other only through their public entry point (see .dependency-cruiser.cjs).
        'import-x/no-relative-packages': 'error',
        'import-x/no-self-import': 'error',
        'import-x/no-duplicates': 'error',
        'import-x/first': 'error',
        'import-x/newline-after-import': 'error',
        'import-x/no-useless-path-segments': 'error',
        'import-x/no-mutable-exports': 'error',
        '@typescript-eslint/consistent-type-imports': 'error',
        '@typescript-eslint/consistent-type-exports': 'error',
        '@typescript-eslint/explicit-module-boundary-types': 'error',
        '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true }],
        '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
        // Bit manipulation is the job of a wire codec.
        'no-bitwise': 'off',
        'no-restricted-syntax': [
          'error',
          { selector: 'TSEnumDeclaration', message: 'Use an `as const` object and a union type instead of enum.' },
        ],
      },
    },
    {
      files: ['**/*.js', '**/*.mjs'],
      ...tseslint.configs.disableTypeChecked,
      rules: {
        ...tseslint.configs.disableTypeChecked.rules,
        // Plain JS config files are typed through JSDoc and their .d.ts files.
        '@typescript-eslint/explicit-module-boundary-types': 'off',
      },
    },
    {
      files: ['**/test/**', '**/bench/**', '**/*.test.ts'],
      rules: {
        // Tests build deliberately odd values and assert on them.
        '@typescript-eslint/no-non-null-assertion': 'off',
        '@typescript-eslint/explicit-module-boundary-types': 'off',
      },
    },
  );
}
