// docs/errors.md as a function of the code: the exit codes (src/errors/exit-codes.ts), the Accept
// codes (@twamp/errors' ACCEPT_CODES and describeAcceptCode), the typed errors, and what the command
// line prints for the common failures (rendered by reportFailure, the function the commands use).
// gen-errors-doc.ts writes it; test/errors-doc.test.ts fails when the file differs, so it cannot drift.
import {
  ACCEPT_CODES,
  AuthenticationError,
  AuthenticationFailure,
  ConfigError,
  ErrorCode,
  MalformedInputError,
  NetworkError,
  PeerRejectedError,
  ResourceLimitError,
  TimeoutError,
} from '@twamp/errors';
import { createKeyStore, requireIdentities } from '@twamp/control';
import { EXIT_CODES, exitCodeInfo, type FailureContext, failureExitCode, PeerExitCode, reportFailure } from '../src/errors/index.js';

/** One typed error of @twamp/errors, in our words: when it happens and how `twamp` ends on it. */
export interface TypedErrorDoc {
  readonly name: string;
  readonly code: ErrorCode;
  readonly when: string;
  /** A representative instance, to read its exit code and default Accept value from the code itself. */
  readonly sample: Error & { readonly acceptCode: number };
}

export const TYPED_ERRORS: readonly TypedErrorDoc[] = [
  {
    name: 'ConfigError',
    code: ErrorCode.Config,
    when: 'an argument, an option value or a file named by an option cannot be used (each issue names the option and what it accepts); nothing was started',
    sample: new ConfigError([{ path: '--count', expected: 'an integer from 1 to 4294967295 packets', received: '"0"' }]),
  },
  {
    name: 'PeerRejectedError',
    code: ErrorCode.PeerRejected,
    when: 'the peer answered with a non-zero Accept value; `received` is the value as sent, `acceptCode` the value read (unknown values read as 1), `stage` the message that carried it',
    sample: new PeerRejectedError({ received: 5, peer: 'server', message: 'Accept-Session' }),
  },
  {
    name: 'AuthenticationError',
    code: ErrorCode.Authentication,
    when: `keys or modes do not match: no mode both sides allow (\`${AuthenticationFailure.NoAcceptableMode}\`), a token or HMAC that does not verify, an unknown key identity, or a greeting asking for too much key-derivation work`,
    sample: new AuthenticationError(AuthenticationFailure.NoAcceptableMode, 'the server offers encrypted; we allow unauthenticated'),
  },
  {
    name: 'TimeoutError',
    code: ErrorCode.Timeout,
    when: 'a wait ran out: the TCP connection, the Server Greeting, a reply to a command, any test reply, or the end of the run',
    sample: new TimeoutError({ waitingFor: 'Server Greeting', afterMs: 10_000, peer: '192.0.2.10:862' }),
  },
  {
    name: 'NetworkError',
    code: ErrorCode.Network,
    when: 'a socket operation failed (`operation` and the system\'s `systemCode`): nothing listening, no route, a port in use, no permission, a packet too large',
    sample: new NetworkError({ operation: 'connect', systemCode: 'ECONNREFUSED', endpoint: '192.0.2.10:862' }),
  },
  {
    name: 'ResourceLimitError',
    code: ErrorCode.ResourceLimit,
    when: 'one of our own limits would be exceeded (sessions, buffers); its Accept value is what our server answers a peer with: 5 for a temporary limit, 4 for a permanent one',
    sample: new ResourceLimitError({ limit: 'maxSessions', max: 1, requested: 2, temporary: false }),
  },
  {
    name: 'MalformedInputError',
    code: ErrorCode.MalformedInput,
    when: 'a peer sent something that does not follow the wire format (`what`, `field`, `offset`, `reason` say where); test packets like that are counted and dropped, control messages end the connection',
    sample: new MalformedInputError({ what: 'Server Greeting', field: 'Count', offset: 60, reason: 'not a power of 2' }),
  },
];

/** A failure the documentation shows as `twamp` prints it. */
export interface FailureExample {
  readonly title: string;
  readonly command: string;
  readonly error: unknown;
  readonly context: FailureContext;
}

/** What `run` throws: the real error of a check, so the documented text cannot drift from it. */
function thrownBy(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  throw new Error('expected the check to throw');
}

// Documentation addresses (RFC 5737) so that no example points at a real host.
const SERVER = '192.0.2.10:862';

export const FAILURE_EXAMPLES: readonly FailureExample[] = [
  {
    title: 'Nothing listening on the control port',
    command: 'twamp controller 192.0.2.10',
    error: new NetworkError({ operation: 'connect', systemCode: 'ECONNREFUSED', endpoint: SERVER, detail: `connect ECONNREFUSED ${SERVER}` }),
    context: { controlPort: 862 },
  },
  {
    title: 'Wrong key (the server cannot verify our token)',
    command: 'twamp controller 192.0.2.10 --user alice --key-file alice.pfs',
    error: new PeerRejectedError({ received: 1, peer: 'server', message: 'Server-Start' }),
    context: { controlPort: 862, server: SERVER },
  },
  {
    title: 'Authentication required (the server offers no open mode)',
    command: 'twamp controller 192.0.2.10 --mode open',
    error: new AuthenticationError(AuthenticationFailure.NoAcceptableMode, 'the server offers authenticated, encrypted; we allow unauthenticated'),
    context: { controlPort: 862, server: SERVER },
  },
  {
    title: 'A mode the server does not offer',
    command: 'twamp controller 192.0.2.10 --mode encrypted --user alice --key-file alice.pfs',
    error: new AuthenticationError(AuthenticationFailure.NoAcceptableMode, 'the server offers unauthenticated; we allow encrypted'),
    context: { controlPort: 862, server: SERVER },
  },
  {
    title: 'Session limit reached (permanent)',
    command: 'twamp controlclient 198.51.100.7:20000 192.0.2.10 --sessions 64',
    error: new PeerRejectedError({ received: 4, peer: 'server', message: 'Accept-Session' }),
    context: { controlPort: 862, server: SERVER },
  },
  {
    title: 'Server overloaded (temporary: retry later)',
    command: 'twamp controller 192.0.2.10',
    error: new PeerRejectedError({ received: 5, peer: 'server', message: 'Accept-Session' }),
    context: { controlPort: 862, server: SERVER },
  },
  {
    title: 'No answer from the server',
    command: 'twamp controller 192.0.2.10 --control-timeout 3000',
    error: new TimeoutError({ waitingFor: 'Server Greeting', afterMs: 3000, peer: SERVER }),
    context: { controlPort: 862 },
  },
  {
    title: 'A key file without identities (secured mode)',
    command: 'twamp server --mode encrypted --key-file /etc/twamp/keys',
    error: thrownBy(() => requireIdentities(createKeyStore([]), '/etc/twamp/keys')),
    context: { command: 'server' },
  },
  {
    title: 'A bad argument',
    command: 'twamp sender 192.0.2.10 --count 0',
    error: new ConfigError([{ path: '--count', expected: 'an integer from 1 to 4294967295 packets', received: '"0"' }]),
    context: { command: 'sender' },
  },
];

function cell(text: string): string {
  return text.replaceAll('|', '\\|');
}

/** The exit-code table every document shows, from EXIT_CODES only. */
export function exitCodesTable(): string[] {
  const lines = ['| Code | Name | When |', '| ---: | --- | --- |'];
  for (const info of EXIT_CODES) lines.push(`| ${info.code} | ${cell(info.name)} | ${cell(info.when)} |`);
  return lines;
}

function exitCodesSection(): string[] {
  return [
    '## Exit codes',
    '',
    'Every command ends with one of these (`twamp --help` lists them too). Scripts can rely on them; they do not change between versions.',
    '',
    ...exitCodesTable(),
  ];
}

/** Marks the exit-code table in a hand-written document (docs/usage.md, the package README). */
export const EXIT_CODES_BEGIN = '<!-- exit-codes: generated from packages/cli/src/errors/exit-codes.ts by packages/cli/scripts/gen-errors-doc.ts; do not edit -->';
export const EXIT_CODES_END = '<!-- /exit-codes -->';

/** Hand-written documents that carry the generated exit-code table, relative to the repository root. */
export const EXIT_CODE_DOCUMENTS: readonly string[] = ['docs/usage.md', 'packages/cli/README.md'];

/**
 * `text` with the block between EXIT_CODES_BEGIN and EXIT_CODES_END replaced by today's table.
 * Throws when a document lost its markers: a table nobody regenerates would drift again.
 */
export function withExitCodesTable(text: string, name: string): string {
  const begin = text.indexOf(EXIT_CODES_BEGIN);
  const end = text.indexOf(EXIT_CODES_END);
  if (begin < 0 || end < begin) throw new Error(`${name}: no ${EXIT_CODES_BEGIN} ... ${EXIT_CODES_END} block for the exit codes`);
  return `${text.slice(0, begin)}${[EXIT_CODES_BEGIN, ...exitCodesTable(), EXIT_CODES_END].join('\n')}${text.slice(end + EXIT_CODES_END.length)}`;
}

function readingSection(): string[] {
  return [
    '## How a failure reads',
    '',
    'A failure is printed on stderr (stdout keeps only results), always in the same order:',
    '',
    '- `error:` what happened, in one line;',
    '- `said by:` which side said it: this host (your arguments, a local socket), our own reflector or server, the TWAMP server at an address, or the network between (a silence or an unreachable host);',
    '- the Accept code with its name and meaning, only for a failure of a TWAMP-Control exchange (or one of our limits, which a server answers with an Accept code): the value the peer sent, or, when no value was exchanged, the nearest one whose checks apply, or `none` with the reason; a usage error, a local socket or a test packet has no Accept line;',
    '- `note:` context for this case, `likely causes:` and `what to do:` (steps, most useful first);',
    '- `retry:` only when the same request may succeed later (Accept 5), with how long to wait;',
    '- `exit code:` the code the command ends with.',
  ];
}

function acceptSection(): string[] {
  const lines = [
    '## Accept codes',
    '',
    'The Accept field of TWAMP-Control (RFC 4656 §3.3, RFC 5357 §3; value 6 from RFC 7717) tells a client whether the server took its request.',
    'It comes back in Server-Start (the connection), Accept-Session (each session) and Start-Ack (starting). Any non-zero value ends `twamp controller` and `twamp controlclient` with',
    `exit code ${PeerExitCode.Refused} (${exitCodeInfo(PeerExitCode.Refused)?.name ?? ''}). A value above 6 is read as 1, as RFC 4656 requires.`,
    '',
    '| Code | Name | Meaning | Retry helps |',
    '| ---: | --- | --- | --- |',
  ];
  for (const info of ACCEPT_CODES) {
    const retry = info.retryable ? `yes, after ${info.retryAfterMs ?? 1000} ms or more` : 'no';
    lines.push(`| ${info.code} | ${cell(info.name)} | ${cell(info.meaning)} | ${retry} |`);
  }
  for (const info of ACCEPT_CODES) {
    lines.push('', `### Accept ${info.code}: ${info.name}`, '', `Identifier \`${info.id}\`; ${info.reference}.`, '', info.meaning);
    if (info.likelyCauses.length > 0) {
      lines.push('', 'Likely causes:', '');
      for (const cause of info.likelyCauses) lines.push(`- ${cause}`);
    }
    if (info.whatToDo.length > 0) {
      lines.push('', 'What to do:', '');
      info.whatToDo.forEach((step, i) => lines.push(`${i + 1}. ${step}`));
    }
    if (info.retryable) lines.push('', `Retrying may succeed: wait ${info.retryAfterMs ?? 1000} ms or more, doubling the wait after each refusal.`);
  }
  return lines;
}

function typedErrorsSection(): string[] {
  const lines = [
    '## Typed errors',
    '',
    'Everything `@twamp/*` throws is one of these classes (match on `code` or `instanceof`, never on the message).',
    'The exit code is the one `twamp` ends with when the error ends a command; the Accept value is the one our server answers a peer with for that error.',
    '',
    '| Class | `code` | When | Exit code | Accept value |',
    '| --- | --- | --- | ---: | ---: |',
  ];
  for (const doc of TYPED_ERRORS) {
    const exit = failureExitCode(doc.sample);
    const accept = doc.name === 'PeerRejectedError' ? 'as received' : String(doc.sample.acceptCode);
    lines.push(`| \`${doc.name}\` | \`${doc.code}\` | ${cell(doc.when)} | ${exit} | ${accept} |`);
  }
  lines.push(
    '',
    `A \`NetworkError\` for no route to the peer (\`EHOSTUNREACH\`, \`ENETUNREACH\`) ends with exit code ${PeerExitCode.TimedOutOrUnreachable}, as a timeout does; a \`ResourceLimitError\` with a temporary limit carries Accept 5 instead of 4.`,
  );
  return lines;
}

function examplesSection(): string[] {
  const lines = ['## What `twamp` prints', '', 'Rendered by the same function the commands use (addresses from the documentation ranges).'];
  for (const example of FAILURE_EXAMPLES) {
    const { text } = reportFailure(example.error, example.context);
    lines.push('', `### ${example.title}`, '', '```console', `$ ${example.command}`, text, '```');
  }
  return lines;
}

/** The whole of docs/errors.md. */
export function renderErrorsDoc(): string {
  const lines = [
    '<!-- Generated by packages/cli/scripts/gen-errors-doc.ts from @twamp/errors and @twamp/cli. Do not edit: run',
    '     node --conditions=@twamp/source --import tsx packages/cli/scripts/gen-errors-doc.ts -->',
    '',
    '# Errors, Accept codes and exit codes',
    '',
    'What `twamp` says when something fails, what the TWAMP Accept codes mean, and how each command exits.',
    'Every text below comes from the code (`@twamp/errors` and `@twamp/cli`), so this page and the program say the same thing.',
    '',
    ...exitCodesSection(),
    '',
    ...readingSection(),
    '',
    ...acceptSection(),
    '',
    ...typedErrorsSection(),
    '',
    ...examplesSection(),
  ];
  return `${lines.join('\n')}\n`;
}
