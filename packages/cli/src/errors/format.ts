// A Failure as the text a person reads on stderr, and as a plain object for machine-readable output.
// The first line is `error: <what happened>`, as @twamp/errors' formatError starts, so scripts that
// look for it keep working; the lines after it say who said it, the Accept code, and what to do.
import { exitCodeInfo } from './exit-codes.js';
import { explainFailure, type Failure, type FailureContext } from './failure.js';

function seconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`;
}

/** The Accept line; none for a failure outside any control exchange (a usage error, a local socket). */
function acceptLine(failure: Failure): string | undefined {
  const { accept } = failure;
  if (accept === undefined) return failure.noAccept === undefined ? undefined : `  Accept code: ${failure.noAccept}`;
  const { info } = accept;
  if (accept.relation === 'received') {
    const value = accept.received === undefined ? `${info.code}` : `${accept.received} (read as ${info.code})`;
    return `  Accept ${value} (${info.name}): ${info.meaning}`;
  }
  return `  Accept code: none received; nearest: Accept ${info.code} (${info.name}), meaning: ${info.meaning}`;
}

/** The failure as lines of text, without a trailing newline. */
export function formatFailure(failure: Failure): string {
  const lines = [`error: ${failure.what}`, `  said by: ${failure.side.label}`];
  const accept = acceptLine(failure);
  if (accept !== undefined) lines.push(accept);
  for (const note of failure.notes) lines.push(`  note: ${note}`);
  if (failure.likelyCauses.length > 0) {
    lines.push('  likely causes:');
    for (const cause of failure.likelyCauses) lines.push(`    - ${cause}`);
  }
  if (failure.whatToDo.length > 0) {
    lines.push('  what to do:');
    failure.whatToDo.forEach((step, i) => lines.push(`    ${i + 1}. ${step}`));
  }
  if (failure.retryAfterMs !== undefined) {
    lines.push(`  retry: the same request may succeed later; wait ${seconds(failure.retryAfterMs)} or more, and double the wait after each new refusal`);
  }
  const exit = exitCodeInfo(failure.exitCode);
  lines.push(`  exit code: ${failure.exitCode}${exit === undefined ? '' : ` (${exit.name})`}`);
  return lines.join('\n');
}

export interface FailureReport {
  readonly failure: Failure;
  /** What to write to stderr (no trailing newline). */
  readonly text: string;
  readonly exitCode: number;
}

/**
 * The one call for a command that ends on an error: explains it (what, who said it, the Accept code,
 * what to do), renders the text for stderr and picks the exit code. Prints nothing itself.
 */
export function reportFailure(error: unknown, context: FailureContext = {}): FailureReport {
  const failure = explainFailure(error, context);
  return { failure, text: formatFailure(failure), exitCode: failure.exitCode };
}

/** The failure as a plain JSON-ready object, for `--json` and `--jsonl` outputs that report errors. */
export interface FailureJson {
  readonly what: string;
  readonly side: { readonly kind: string; readonly label: string };
  readonly accept: {
    readonly code: number;
    readonly id: string;
    readonly name: string;
    readonly meaning: string;
    readonly relation: 'received' | 'equivalent';
    readonly received: number | null;
  } | null;
  readonly noAccept: string | null;
  readonly notes: readonly string[];
  readonly likelyCauses: readonly string[];
  readonly whatToDo: readonly string[];
  readonly retryAfterMs: number | null;
  readonly exitCode: number;
  readonly errorCode: string | null;
}

export function failureJson(failure: Failure): FailureJson {
  const { accept } = failure;
  return {
    what: failure.what,
    side: { kind: failure.side.kind, label: failure.side.label },
    accept:
      accept === undefined
        ? null
        : {
            code: accept.info.code,
            id: accept.info.id,
            name: accept.info.name,
            meaning: accept.info.meaning,
            relation: accept.relation,
            received: accept.relation === 'received' ? (accept.received ?? accept.info.code) : null,
          },
    noAccept: failure.noAccept ?? null,
    notes: failure.notes,
    likelyCauses: failure.likelyCauses,
    whatToDo: failure.whatToDo,
    retryAfterMs: failure.retryAfterMs ?? null,
    exitCode: failure.exitCode,
    errorCode: failure.errorCode ?? null,
  };
}
