// Validates output against the JSON Schema files in packages/cli/schema (draft 2020-12) with ajv.
// Shared by the formatter tests here and the end-to-end tests in apps/twamp.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';

export const SCHEMA_DIR = join(import.meta.dirname, '..', 'schema');

function load(name: string): Record<string, unknown> {
  return JSON.parse(readFileSync(join(SCHEMA_DIR, name), 'utf8')) as Record<string, unknown>;
}

export interface OutputValidators {
  /** The --json object (sender and controller). */
  readonly result: ValidateFunction;
  /** One --jsonl line. */
  readonly record: ValidateFunction;
}

let cached: OutputValidators | undefined;

/** Compiled once per process; strict mode, so a schema mistake fails loudly too. */
export function outputValidators(): OutputValidators {
  if (cached !== undefined) return cached;
  // Union types ("integer" or "null") are how the schema says "not measured"; allow them in strict mode.
  const ajv = new Ajv2020({ strict: true, allErrors: true, allowUnionTypes: true });
  ajv.addSchema(load('twamp-result.schema.json'));
  ajv.addSchema(load('twamp-record.schema.json'));
  const result = ajv.getSchema('twamp-result.schema.json');
  const record = ajv.getSchema('twamp-record.schema.json');
  if (result === undefined || record === undefined) throw new Error('schemas not found by their $id');
  cached = { result, record };
  return cached;
}

/** The errors of `validate` for `value`, as text ('' when valid). */
export function schemaErrors(validate: ValidateFunction, value: unknown): string {
  if (validate(value)) return '';
  return (validate.errors ?? []).map((error) => `${error.instancePath || '/'} ${error.message ?? ''} ${JSON.stringify(error.params)}`).join('\n');
}
