// One Session-Sender's life inside a target: its events become packets to observers (hot path) and
// windows (one per interval report), and ending it delivers the last, partial window with the totals
// only the sender's final report knows (timestamp sources, malformed replies, send errors).
import { formatError } from '@twamp/errors';
import type { SessionSummary } from '@twamp/metrics';
import type { SenderEvent, SenderReport } from '@twamp/test-session';
import type { AgentTargetInfo, AgentWindow, DaemonLog } from '../types.js';
import type { ObserverFanout } from './observers.js';
import type { TargetSession } from './target-session.js';

/** What a run needs from its target. */
export interface RunHooks {
  readonly fanout: ObserverFanout;
  readonly log: DaemonLog;
  /** The target as observers see it now. */
  info(): AgentTargetInfo;
  /** The next window index of the target (continues across the target's retries). */
  nextWindowIndex(): number;
  /** A window was measured while the session was up (resets the retry backoff). */
  healthy(): void;
}

interface HeldWindow {
  readonly summary: SessionSummary;
  readonly startMs: number;
  readonly endMs: number;
}

/** Resolves after `ms` (or at once for ms ≤ 0) unless cancelled; never keeps the process alive longer than asked. */
function sleep(ms: number): { readonly promise: Promise<void>; cancel(): void } {
  let timer: NodeJS.Timeout | undefined;
  const promise = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, Math.max(0, ms));
  });
  return {
    promise,
    cancel: () => {
      clearTimeout(timer);
    },
  };
}

/** `promise`, or nothing once `ms` has passed; true when the promise won. */
export async function within(promise: Promise<unknown>, ms: number): Promise<boolean> {
  const timeout = sleep(ms);
  try {
    return await Promise.race([promise.then(() => true), timeout.promise.then(() => false)]);
  } finally {
    timeout.cancel();
  }
}

export class SessionRun {
  readonly #hooks: RunHooks;
  #session: TargetSession | undefined;
  #windowStartMs = Date.now();
  #ending = false;
  /** Past the stop's grace: windows that still come are dropped (their observers may be closed). */
  #abandoned = false;
  #held: HeldWindow | undefined;
  #finished: Promise<void> | undefined;
  #ended: Promise<void> | undefined;

  constructor(hooks: RunHooks) {
    this.#hooks = hooks;
  }

  get session(): TargetSession | undefined {
    return this.#session;
  }

  get ending(): boolean {
    return this.#ending;
  }

  /** The sender's handler: set before the sender sends anything. */
  readonly onEvent = (event: SenderEvent): void => {
    if (event.type === 'packet') {
      // Counted replies only: duplicates, late and unknown replies are in the window's counts.
      if (event.result.disposition === 'counted' && !this.#abandoned) this.#hooks.fanout.packet(this.#hooks.info(), event.result);
    } else if (event.type === 'interval') {
      this.#onInterval(event.summary);
    }
  };

  /** The session is open: from now on its windows count, and its end is awaited through `finished`. */
  attach(session: TargetSession): void {
    this.#session = session;
    this.#windowStartMs = Date.now();
    this.#finished = session.sender.done.then(
      (report) => {
        this.#onDone(report);
      },
      // `done` never rejects today; should it ever, the held window is still delivered.
      () => {
        this.#onDone(undefined);
      },
    );
  }

  #onInterval(summary: SessionSummary): void {
    const endMs = Date.now();
    const window: HeldWindow = { summary, startMs: this.#windowStartMs, endMs };
    this.#windowStartMs = endMs;
    if (this.#abandoned) return;
    if (this.#ending) {
      // While the sender drains, the window that arrives last is the final one: hold each until the
      // next one (or the report) shows whether it was.
      if (this.#held !== undefined) this.#deliver(this.#held, undefined);
      this.#held = window;
      return;
    }
    this.#deliver(window, undefined);
    this.#hooks.healthy();
  }

  #onDone(report: SenderReport | undefined): void {
    const held = this.#held;
    this.#held = undefined;
    if (held !== undefined && !this.#abandoned) this.#deliver(held, report);
  }

  #deliver(held: HeldWindow, report: SenderReport | undefined): void {
    const window: AgentWindow = {
      target: this.#hooks.info(),
      index: this.#hooks.nextWindowIndex(),
      startMs: held.startMs,
      endMs: held.endMs,
      summary: held.summary,
      timestamps: report?.timestamps,
      malformedReplies: report?.malformedReplies,
      sendErrors: report?.sendErrors,
    };
    this.#hooks.fanout.window(window);
  }

  /** Deliver nothing more (the agent stopped and its observers may be closing). */
  abandon(): void {
    this.#abandoned = true;
  }

  /**
   * Stop sending; in-flight packets get their loss timeout, but the wait ends after `graceMs`; the
   * last window goes to the observers; a TWAMP session is stopped (Stop-Sessions) and its control
   * connection closed. Idempotent (a second call returns the first one's promise).
   */
  end(graceMs: number): Promise<void> {
    this.#ended ??= this.#end(graceMs);
    return this.#ended;
  }

  async #end(graceMs: number): Promise<void> {
    this.#ending = true;
    const session = this.#session;
    if (session === undefined) return;
    const deadline = Date.now() + graceMs;
    session.sender.stop();
    const finished = this.#finished ?? Promise.resolve();
    if (!(await within(finished, graceMs))) {
      // The loss timeout outlasts the grace: the run is cut here and what it still measures is dropped.
      this.#abandoned = true;
      this.#hooks.log.warn(
        { event: 'target-window-dropped', target: this.#hooks.info().name, graceMs },
        'stopped before the loss timeout of packets in flight: the last window is not reported',
      );
    }
    const control = session.control;
    if (control === undefined) return;
    // Stop-Sessions (no reply exists: done once written), then close; end() flushes a pending write,
    // so the message leaves even when the grace is used up.
    const stopping = control.stopSessions().catch((error: unknown) => {
      this.#hooks.log.debug(
        { event: 'target-stop-sessions-failed', target: this.#hooks.info().name, error: formatError(error).split('\n')[0] },
        'Stop-Sessions could not be sent (the connection had ended)',
      );
    });
    await within(stopping, Math.max(0, deadline - Date.now()));
    control.close();
  }
}
