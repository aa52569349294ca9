import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openLineOutput } from '../src/agent/line-output.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'twampd-lines-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const quiet = { drained: () => undefined, failed: () => undefined };
const bytesOf = (line: string): number => Buffer.byteLength(line) + 1;

describe('line output to a file', () => {
  it('writes every line once, in order, across many writes, with multi-byte text and a line longer than its buffer', async () => {
    const path = join(dir, 'out.jsonl');
    const output = openLineOutput(path, quiet);
    const expected: string[] = [];
    const add = (line: string): void => {
      expected.push(line);
      output.add(line, bytesOf(line));
    };
    // 3000 lines of ~300 octets (several 256 KiB buffers), added while earlier writes are under way.
    for (let i = 0; i < 1500; i++) add(`{"i":${i},"pad":"${'é'.repeat(140)}"}`);
    await new Promise((resolve) => setTimeout(resolve, 30));
    add(`{"long":"${'x'.repeat(300 * 1024)}"}`);
    for (let i = 1500; i < 3000; i++) add(`{"i":${i},"pad":"${'ü'.repeat(140)}"}`);
    expect(output.bufferedBytes).toBeGreaterThan(0);
    await output.close();
    const text = await readFile(path, 'utf8');
    expect(text.endsWith('\n')).toBe(true);
    expect(text.slice(0, -1).split('\n')).toEqual(expected);
  });

  it('appends to what the file holds, and reports drained once everything is written', async () => {
    const path = join(dir, 'append.jsonl');
    const first = openLineOutput(path, quiet);
    first.add('one', 4);
    await first.close();
    let drained = 0;
    const second = openLineOutput(path, { drained: () => (drained += 1), failed: () => undefined });
    second.add('two', 4);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(drained).toBe(1);
    expect(second.bufferedBytes).toBe(0);
    await second.close();
    expect(await readFile(path, 'utf8')).toBe('one\ntwo\n');
  });

  it('reports the lines it had accepted as lost when the file cannot be opened, and takes no more', async () => {
    let lost = -1;
    const output = openLineOutput(join(dir, 'no', 'such', 'dir.jsonl'), { drained: () => undefined, failed: (n) => (lost = n) });
    output.add('a', 2);
    output.add('b', 2);
    await output.close();
    expect(lost).toBe(2);
    expect(output.failed).toBe(true);
    output.add('c', 2);
    expect(output.bufferedBytes).toBe(0);
  });
});
