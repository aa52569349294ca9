/**
 * Proof by enumeration that the NTP fraction fast path is exact: every one of the 10^9 nanosecond
 * values within a second round-trips through ntpFractionFromNanos / nanosFromNtpFraction. The proof
 * in src/values/ntp.ts says it must; this checks the arithmetic the proof relies on, on this machine's
 * doubles. Ten to the ninth iterations take seconds even standalone, too slow for every test run, and
 * the suite runs no skipped tests, so this is a script; test/values/ntp.test.ts keeps the sampled
 * and near-integer cases.
 *
 * Run from packages/wire: node --conditions=@twamp/source --import tsx bench/verify-ntp-exhaustive.ts
 * Exits 1 at the first value that does not round-trip; prints how many values it checked either way.
 */
import { NANOS_PER_SECOND, nanosFromNtpFraction, ntpFractionFromNanos } from '../src/values/index.js';

/** Progress every 10^8 values, so a run that is taking long visibly moves. */
const REPORT_EVERY = 100_000_000;

function verify(): number {
  const started = performance.now();
  let checked = 0;
  for (let nanos = 0; nanos < NANOS_PER_SECOND; nanos += 1) {
    const fraction = ntpFractionFromNanos(nanos);
    const back = nanosFromNtpFraction(fraction);
    checked += 1;
    if (back !== nanos) {
      process.stderr.write(`FAIL: ${nanos} ns -> fraction ${fraction} -> ${back} ns (${checked.toLocaleString('en-US')} values checked)\n`);
      return 1;
    }
    if (checked % REPORT_EVERY === 0 && checked < NANOS_PER_SECOND) {
      process.stdout.write(`${checked.toLocaleString('en-US')} values round-trip (${((performance.now() - started) / 1000).toFixed(1)} s)\n`);
    }
  }
  process.stdout.write(`OK: all ${checked.toLocaleString('en-US')} nanosecond values round-trip exactly (${((performance.now() - started) / 1000).toFixed(1)} s)\n`);
  return 0;
}

process.exitCode = verify();
