// Non-INVITE server transaction (RFC 3261 §17.2.2, Figure 8).
import type { Clock, TimerHandle } from '../clock.ts';
import type { ExpiryQueue } from './expiry-queue.ts';
import type { TimerValues } from './timers.ts';

export type NistState = 'trying' | 'proceeding' | 'completed' | 'terminated';

export interface NistContext {
  clock: Clock;
  timers: TimerValues;
  reliable: boolean;
  /** hands a serialized response to the transport */
  send(bytes: Buffer): void;
  /** a retransmission arrived while the TU has not answered yet (it may answer 1xx) */
  retransmissionWhileTrying?(): void;
  terminated(): void;
  /** Timer J over UDP from a queue shared by many transactions (its ms is 64*T1), not a timer each */
  timerJ?: ExpiryQueue;
  /**
   * Over an unreliable transport, entering Completed hands the final response's bytes to the caller,
   * which answers retransmissions with them and runs Timer J itself (endpoint.ts keeps a compact
   * record instead of this object for 64*T1); the transaction neither sets Timer J nor calls
   * `terminated`.
   */
  completed?(bytes: Buffer): void;
}

export class NonInviteServerTransaction {
  #state: NistState = 'trying';
  /**
   * Called as methods: one object per transaction (endpoint.ts), not a closure per hook. It lives as
   * long as the transaction; a completed UDP transaction gives way to a compact record (`completed`).
   */
  readonly #ctx: NistContext;
  readonly #timerJMs: number;
  #lastResponse: Buffer | undefined;
  #timerJ: TimerHandle | undefined;
  #timerJTicket = -1;

  constructor(ctx: NistContext) {
    this.#ctx = ctx;
    // "it MUST set Timer J to fire in 64*T1 seconds for unreliable transports, and zero seconds
    // for reliable transports."
    this.#timerJMs = ctx.reliable ? 0 : 64 * ctx.timers.T1;
  }

  get state(): NistState { return this.#state; }

  /** A retransmission of the request that created this transaction. */
  receiveRequest(): void {
    switch (this.#state) {
      case 'trying':
        // "Once in the "Trying" state, any further request retransmissions are discarded."
        this.#ctx.retransmissionWhileTrying?.();
        return;
      case 'proceeding':
      case 'completed':
        // "If a retransmission of the request is received while in the "Proceeding" state, the most
        // recently sent provisional response MUST be passed to the transport layer for
        // retransmission." / "While in the "Completed" state, the server transaction MUST pass the
        // final response to the transport layer for retransmission whenever a retransmission of the
        // request is received."
        this.#transmit(this.#lastResponse as Buffer);
        return;
      default:
        return;
    }
  }

  /** The TU answers with status and the response's bytes. */
  respond(status: number, bytes: Buffer): void {
    if (this.#state !== 'trying' && this.#state !== 'proceeding') {
      // "Any other final responses passed by the TU to the server transaction MUST be discarded
      // while in the "Completed" state."
      return;
    }
    this.#lastResponse = bytes;
    if (status < 200) {
      // "While in the "Trying" state, if the TU passes a provisional response to the server
      // transaction, the server transaction MUST enter the "Proceeding" state."
      this.#state = 'proceeding';
      this.#transmit(bytes);
      return;
    }
    // "If the TU passes a final response (status codes 200-699) to the server while in the
    // "Proceeding" state, the transaction MUST enter the "Completed" state, and the response MUST be
    // passed to the transport layer for transmission."
    this.#state = 'completed';
    this.#transmit(bytes);
    if (this.#state !== 'completed') return; // the transport failed
    // "When the server transaction enters the "Completed" state, it MUST set Timer J"
    const ctx = this.#ctx;
    if (this.#timerJMs === 0) this.#terminate();
    else if (ctx.completed !== undefined) ctx.completed(bytes);
    else if (ctx.timerJ !== undefined) this.#timerJTicket = ctx.timerJ.add(this);
    else this.#timerJ = ctx.clock.setTimer(this.#timerJMs, () => { this.#terminate(); });
  }

  /** Timer J fired (from the shared queue): "Once Timer J fires, the server transaction MUST
   * transition to the "Terminated" state." */
  expire(): void {
    this.#terminate();
  }

  /** "the server transaction MUST inform the TU of a transport failure and transition to the
   * "Terminated" state" (§17.2.2 via §17.2.4). */
  transportError(): void {
    this.#terminate();
  }

  #transmit(bytes: Buffer): void {
    try {
      this.#ctx.send(bytes);
    } catch {
      this.transportError();
    }
  }

  #terminate(): void {
    if (this.#state === 'terminated') return;
    this.#state = 'terminated';
    this.#timerJ?.cancel();
    if (this.#timerJTicket >= 0) this.#ctx.timerJ?.cancel(this.#timerJTicket);
    this.#ctx.terminated();
  }
}
