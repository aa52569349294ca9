// `-v`: one line per reply in nokia/twampy's verbose format, so that output from either tool reads the
// same and scripts written for twampy's log keep their columns:
//
//   26/11/26 04:01:02,123 INFO     Reply from 127.0.0.1 [rseq=0 sseq=0 rtt=0.21ms outbound=0.10ms inbound=0.11ms]
//
// `yy/mm/dd HH:MM:SS,<ms left-aligned in 3>` local time, the level padded to 8, then the message;
// delays in ms with two decimals. Differences from twampy, on purpose: one-way delays are printed as
// measured (twampy clamps negative values to 0, hiding a clock offset), a reply that is not counted
// says why at the end (duplicate, late, unknown), and a request that timed out gets a WARNING line.
import type { PacketResult } from '@twamp/test-session';

function two(n: number): string {
  return String(n).padStart(2, '0');
}

/** twampy's log prefix: `%y/%m/%d %H:%M:%S,%(msecs)-3d %(levelname)-8s `, in local time. */
export function twampyPrefix(atMs: number, level: 'INFO' | 'WARNING'): string {
  const t = new Date(atMs);
  const date = `${two(t.getFullYear() % 100)}/${two(t.getMonth() + 1)}/${two(t.getDate())}`;
  const time = `${two(t.getHours())}:${two(t.getMinutes())}:${two(t.getSeconds())}`;
  return `${date} ${time},${String(t.getMilliseconds()).padEnd(3)} ${level.padEnd(8)} `;
}

function ms2(ns: number): string {
  const text = (ns / 1e6).toFixed(2);
  return text === '-0.00' ? '0.00' : text;
}

/** The message of a reply line (without the prefix). */
export function replyMessage(result: PacketResult, from: string): string {
  const base = `Reply from ${from} [rseq=${result.reflectorSequence} sseq=${result.sequence} rtt=${ms2(result.rtt)}ms outbound=${ms2(result.forward)}ms inbound=${ms2(result.backward)}ms]`;
  return result.disposition === 'counted' ? base : `${base} ${result.disposition}`;
}

/** A full `-v` line for a reply. */
export function formatReplyLine(result: PacketResult, from: string, atMs: number): string {
  return `${twampyPrefix(atMs, 'INFO')}${replyMessage(result, from)}`;
}

/** A full `-v` line for a request declared lost. */
export function formatLostLine(sequence: number, to: string, lossTimeoutMs: number, atMs: number): string {
  return `${twampyPrefix(atMs, 'WARNING')}No reply from ${to} [sseq=${sequence}] within ${lossTimeoutMs} ms`;
}
