// The config reference cannot drift: docs/daemon.md holds what the generator makes from the table,
// the table names exactly the keys the schema accepts, and the documented example shows every key.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { z } from 'zod';
import { configSchema } from '../src/config/schema.js';
import { CONFIG_REFERENCE, renderConfigReference, withConfigReference } from '../src/index.js';
import { uncommentedExample } from './fixtures/config/example-uncommented.js';

const DOC = new URL('../../../docs/daemon.md', import.meta.url);
const REGENERATE = 'node --conditions=@twamp/source --import tsx packages/daemon/scripts/gen-config-doc.ts';

/** Table keys with every user-chosen name written `<*>`. */
function normalized(key: string): string {
  return key.replace(/<[^>]+>/g, '<*>');
}

interface ZodDef {
  readonly type: string;
  readonly innerType?: z.ZodType;
  readonly shape?: Readonly<Record<string, z.ZodType>>;
  readonly element?: z.ZodType;
  readonly valueType?: z.ZodType;
}

function defOf(schema: z.ZodType): ZodDef {
  return (schema as unknown as { _zod: { def: ZodDef } })._zod.def;
}

/** Every key path the schema accepts (maps, lists and leaves), in the table's notation. */
function schemaKeys(schema: z.ZodType, path: string, into: Set<string>): Set<string> {
  const def = defOf(schema);
  if ((def.type === 'optional' || def.type === 'nullable') && def.innerType !== undefined) return schemaKeys(def.innerType, path, into);
  if (path !== '') into.add(path);
  // agent.defaults takes a target's keys: documented once, under agent.targets[].
  if (path === 'agent.defaults') return into;
  if (def.type === 'object' && def.shape !== undefined) {
    for (const [key, child] of Object.entries(def.shape)) schemaKeys(child, path === '' ? key : `${path}.${key}`, into);
  } else if (def.type === 'array' && def.element !== undefined) {
    schemaKeys(def.element, `${path}[]`, into);
  } else if (def.type === 'record' && def.valueType !== undefined) {
    schemaKeys(def.valueType, `${path}.<*>`, into);
  }
  return into;
}

/** Every key path in plain data, in the table's notation (user-chosen names under access and labels as `<*>`). */
function dataKeys(value: unknown, path: string, into: Set<string>): Set<string> {
  if (path !== '') into.add(path);
  if (Array.isArray(value)) {
    for (const item of value) dataKeys(item, `${path}[]`, into);
  } else if (typeof value === 'object' && value !== null) {
    const chosen = path === 'access' || path.endsWith('.labels');
    for (const [key, child] of Object.entries(value)) dataKeys(child, `${path === '' ? '' : `${path}.`}${chosen ? '<*>' : key}`, into);
  }
  return into;
}

describe('the config reference', () => {
  it('in docs/daemon.md is what the generator makes from the table today', () => {
    const current = readFileSync(DOC, 'utf8');
    expect(withConfigReference(current) === current, `docs/daemon.md's config reference is out of date: run \`${REGENERATE}\` from the repository root`).toBe(true);
    expect(current).toContain(renderConfigReference());
  });

  it('names each key once, and exactly the keys the schema accepts', () => {
    const keys = CONFIG_REFERENCE.map((entry) => normalized(entry.key));
    expect(new Set(keys).size).toBe(keys.length);
    expect([...new Set(keys)].sort()).toEqual([...schemaKeys(configSchema, '', new Set())].sort());
  });

  it('gives every key its words, and a default or `required` for every leaf', () => {
    for (const entry of CONFIG_REFERENCE) {
      expect(entry.type, entry.key).not.toBe('');
      expect(entry.meaning, entry.key).toMatch(/\.$/);
    }
  });

  it('is shown whole in the documented example, every key at least once', () => {
    const shown = dataKeys(parse(uncommentedExample()), '', new Set());
    const missing = CONFIG_REFERENCE.map((entry) => normalized(entry.key)).filter((key) => !shown.has(key));
    expect(missing).toEqual([]);
  });
});
