// What every command gets from `main`: the injected io and engine, and where it leaves its exit code.
import type { CliEngine } from '../engine.js';
import type { CliIo } from '../io.js';

export interface CommandContext {
  readonly io: CliIo;
  readonly engine: CliEngine;
  /** Set by the command's action; `main` exits with it. */
  exitCode: number;
}

export function writeLine(stream: CliIo['stdout'], text: string): void {
  stream.write(`${text}\n`);
}

export function now(context: CommandContext): number {
  return context.io.now?.() ?? Date.now();
}
