// Whether one-way delays mean anything: the clocks' own claims first, then what the data says.
//
// One-way delays T2 − T1 and T4 − T3 mix the path delay with the offset between the two clocks. They
// are trusted only when
//  1. both Error Estimates carry S = 1 (synchronised to an external source), and
//  2. the worst claimed error sum (sender + reflector) is at most CLAIMED_ERROR_RTT_FRACTION (10 %) of
//     the minimum RTT: beyond that the claimed uncertainty is a sizeable part of the smallest delay
//     measured, and one-way figures would be dominated by it, and
//  3. the data does not contradict the claims: no one-way delay is negative, and the offset estimated
//     from the data is no larger than the claimed error.
//
// Offset estimate (reflector clock minus sender clock): from the exchanges with the minimum RTT (the
// least queueing, so the most symmetric), offset = ((T2 − T1) − (T4 − T3)) / 2, averaged over ties.
// Its bound is minRTT / 2: whatever the split of the path between the directions, both one-way delays
// are ≥ 0 and sum to the RTT, so the true offset is within ± minRTT / 2 of the estimate. A path with
// asymmetric one-way delays shifts the estimate by half the asymmetry, which rule 3 cannot tell from a
// clock error: such paths are reported as unreliable unless the claimed error covers the asymmetry.
//
// One clock (sharedClock: sender and reflector in one process, or the reflector at an address of this
// host): T1..T4 are read from the same CLOCK_REALTIME, so there is no offset, whatever the Error
// Estimates say about UTC, and rules 1-2 and the offset half of rule 3 do not apply. A negative one-way
// delay still makes them unreliable: the clock was stepped during the run. What remains is how each
// end took its timestamps (kernel receive timestamps against user-space ones): a bias of microseconds
// at most, inside the figures, not an offset between clocks. The data's offset estimate is still
// reported: on one clock it shows the path's asymmetry.
import { PV } from './packet-values.js';
import type { ClockClaim, ClockVerdict } from './types.js';

export const CLAIMED_ERROR_RTT_FRACTION = 0.1;

export const CLOCK_REASONS = {
  noSamples: 'No reply has been counted yet.',
  senderUnsynchronized: 'The sender clock is not synchronized to an external source (S bit 0).',
  reflectorUnsynchronized: 'The reflector clock is not synchronized to an external source (S bit 0).',
  claimedErrorTooLarge: 'The clocks claim an error larger than 10 % of the minimum round-trip time.',
  claimedErrorUnbounded: 'A clock states no bound on its error (the largest Error Estimate: not synchronized).',
  negativeOneWay: 'Some one-way delays are negative.',
  offsetBeyondClaim: 'The clock offset estimated from the data is larger than the clocks claim as their error.',
} as const;

/** What a period's samples said about the clocks, accumulated per counted reply. */
export class ClockEvidence {
  samples = 0;
  senderUnsynchronized = false;
  reflectorUnsynchronized = false;
  /** Worst claimed error sum, seconds (−1 before any sample). */
  claimedErrorSeconds = -1;
  minRtt = Infinity;
  /** Sum and count of the offset estimates of the samples whose RTT equals minRtt. */
  offsetSum = 0;
  offsetCount = 0;

  /** One counted reply: its clocks' claims, and its delays from the packet values (see packet-values.ts). */
  add(senderClock: ClockClaim, reflectorClock: ClockClaim, values: Float64Array): void {
    this.samples++;
    if (!senderClock.synchronized) this.senderUnsynchronized = true;
    if (!reflectorClock.synchronized) this.reflectorUnsynchronized = true;
    // An unreadable claim (NaN) is as bad as an unbounded one. Written so that the usual case (no new
    // worst) merges no constant with the sum, which would make V8 box it.
    const claimed = senderClock.errorSeconds + reflectorClock.errorSeconds;
    if (!(claimed <= this.claimedErrorSeconds)) this.claimedErrorSeconds = Number.isNaN(claimed) ? Infinity : claimed;
    const rtt = values[PV.rtt] ?? 0;
    const offset = ((values[PV.forward] ?? 0) - (values[PV.backward] ?? 0)) / 2;
    if (rtt < this.minRtt) {
      this.minRtt = rtt;
      this.offsetSum = offset;
      this.offsetCount = 1;
    } else if (rtt === this.minRtt) {
      this.offsetSum += offset;
      this.offsetCount++;
    }
  }

  mergeFrom(other: ClockEvidence): void {
    if (other.samples === 0) return;
    this.samples += other.samples;
    if (other.senderUnsynchronized) this.senderUnsynchronized = true;
    if (other.reflectorUnsynchronized) this.reflectorUnsynchronized = true;
    if (other.claimedErrorSeconds > this.claimedErrorSeconds) this.claimedErrorSeconds = other.claimedErrorSeconds;
    if (other.minRtt < this.minRtt) {
      this.minRtt = other.minRtt;
      this.offsetSum = other.offsetSum;
      this.offsetCount = other.offsetCount;
    } else if (other.minRtt === this.minRtt) {
      this.offsetSum += other.offsetSum;
      this.offsetCount += other.offsetCount;
    }
  }

  reset(): void {
    this.samples = 0;
    this.senderUnsynchronized = false;
    this.reflectorUnsynchronized = false;
    this.claimedErrorSeconds = -1;
    this.minRtt = Infinity;
    this.offsetSum = 0;
    this.offsetCount = 0;
  }
}

/**
 * The verdict over one period, given the minimum one-way delays it saw (undefined when none), and
 * whether sender and reflector read one clock.
 */
export function judgeClocks(
  evidence: ClockEvidence,
  forwardMin: number | undefined,
  backwardMin: number | undefined,
  sharedClock = false,
): ClockVerdict {
  if (evidence.samples === 0) {
    return {
      bothSynchronized: false,
      claimedErrorSeconds: undefined,
      sharedClock,
      offsetEstimate: undefined,
      offsetBound: undefined,
      oneWayReliable: false,
      reasons: [CLOCK_REASONS.noSamples],
    };
  }
  const reasons: string[] = [];
  const claimedNs = evidence.claimedErrorSeconds * 1e9;
  const offsetEstimate = evidence.offsetSum / evidence.offsetCount;
  if (!sharedClock) {
    if (evidence.senderUnsynchronized) reasons.push(CLOCK_REASONS.senderUnsynchronized);
    if (evidence.reflectorUnsynchronized) reasons.push(CLOCK_REASONS.reflectorUnsynchronized);
    if (claimedNs === Infinity) reasons.push(CLOCK_REASONS.claimedErrorUnbounded);
    else if (claimedNs > CLAIMED_ERROR_RTT_FRACTION * evidence.minRtt) reasons.push(CLOCK_REASONS.claimedErrorTooLarge);
  }
  if ((forwardMin !== undefined && forwardMin < 0) || (backwardMin !== undefined && backwardMin < 0)) {
    reasons.push(CLOCK_REASONS.negativeOneWay);
  }
  if (!sharedClock && Math.abs(offsetEstimate) > claimedNs) reasons.push(CLOCK_REASONS.offsetBeyondClaim);
  return {
    bothSynchronized: !evidence.senderUnsynchronized && !evidence.reflectorUnsynchronized,
    claimedErrorSeconds: evidence.claimedErrorSeconds,
    sharedClock,
    offsetEstimate,
    offsetBound: evidence.minRtt / 2,
    oneWayReliable: reasons.length === 0,
    reasons,
  };
}
