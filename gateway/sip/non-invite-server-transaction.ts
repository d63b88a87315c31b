// Non-INVITE server transaction (RFC 3261 §17.2.2, Figure 8).
import type { Clock, TimerHandle } from '../clock.ts';
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
}

export class NonInviteServerTransaction {
  #state: NistState = 'trying';
  readonly #ctx: NistContext;
  #lastResponse: Buffer | undefined;
  #timerJ: TimerHandle | undefined;

  constructor(ctx: NistContext) {
    this.#ctx = ctx;
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
        this.#send(this.#lastResponse as Buffer);
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
      this.#send(bytes);
      return;
    }
    // "If the TU passes a final response (status codes 200-699) to the server while in the
    // "Proceeding" state, the transaction MUST enter the "Completed" state, and the response MUST be
    // passed to the transport layer for transmission."
    this.#state = 'completed';
    this.#send(bytes);
    if (this.#state !== 'completed') return; // the transport failed
    // "When the server transaction enters the "Completed" state, it MUST set Timer J to fire in
    // 64*T1 seconds for unreliable transports, and zero seconds for reliable transports."
    if (this.#ctx.reliable) this.#terminate();
    else this.#timerJ = this.#ctx.clock.setTimer(64 * this.#ctx.timers.T1, () => { this.#terminate(); });
  }

  /** "the server transaction MUST inform the TU of a transport failure and transition to the
   * "Terminated" state" (§17.2.2 via §17.2.4). */
  transportError(): void {
    this.#terminate();
  }

  #send(bytes: Buffer): void {
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
    this.#ctx.terminated();
  }
}
