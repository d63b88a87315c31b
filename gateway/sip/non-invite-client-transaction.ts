// Non-INVITE client transaction (RFC 3261 §17.1.2, Figure 6).
import type { Clock, TimerHandle } from '../clock.ts';
import type { TimerValues } from './timers.ts';
import type { SipResponse } from './message.ts';

export type NictState = 'trying' | 'proceeding' | 'completed' | 'terminated';

export interface NictContext {
  clock: Clock;
  timers: TimerValues;
  reliable: boolean;
  /** hands the serialized request to the transport (again, for retransmissions) */
  send(bytes: Buffer): void;
  /** a response for the TU: every 1xx, and the first final response */
  response(res: SipResponse): void;
  /** Timer F fired before a final response */
  timeout(): void;
  transportError(): void;
  terminated(): void;
}

export class NonInviteClientTransaction {
  #state: NictState = 'trying';
  readonly #ctx: NictContext;
  readonly #request: Buffer;
  #timerE: TimerHandle | undefined;
  #timerF: TimerHandle | undefined;
  #timerK: TimerHandle | undefined;
  #intervalE: number;

  constructor(ctx: NictContext, request: Buffer) {
    this.#ctx = ctx;
    this.#request = request;
    this.#intervalE = ctx.timers.T1;
  }

  get state(): NictState { return this.#state; }

  /** "The "Trying" state is entered when the TU initiates a new client transaction with a request.
   * When entering this state, the client transaction SHOULD set timer F to fire in 64*T1 seconds.
   * The request MUST be passed to the transport layer for transmission. If an unreliable transport
   * is in use, the client transaction MUST set timer E to fire in T1 seconds." */
  start(): void {
    this.#timerF = this.#ctx.clock.setTimer(64 * this.#ctx.timers.T1, () => { this.#fireF(); });
    if (!this.#send()) return;
    if (!this.#ctx.reliable) this.#armE();
  }

  receiveResponse(res: SipResponse): void {
    const status = res.status;
    if (this.#state === 'trying' || this.#state === 'proceeding') {
      if (status < 200) {
        // "If a provisional response is received while in the "Trying" state, the response MUST be
        // passed to the TU, and then the client transaction SHOULD move to the "Proceeding" state."
        this.#state = 'proceeding';
        this.#ctx.response(res);
        return;
      }
      // "If a final response (status codes 200-699) is received while in the "Trying" state, the
      // response MUST be passed to the TU, and the client transaction MUST transition to the
      // "Completed" state." (likewise from "Proceeding")
      this.#state = 'completed';
      this.#timerE?.cancel();
      this.#timerF?.cancel();
      this.#ctx.response(res);
      // "Once the client transaction enters the "Completed" state, it MUST set Timer K to fire in
      // T4 seconds for unreliable transports, and zero seconds for reliable transports. The
      // "Completed" state exists to buffer any additional response retransmissions that may be
      // received"
      if (this.#ctx.reliable) this.#terminate();
      else this.#timerK = this.#ctx.clock.setTimer(this.#ctx.timers.T4, () => { this.#terminate(); });
    }
    // Completed: retransmitted responses are absorbed.
  }

  /** "If a fatal transport error is reported ..., the client transaction SHOULD inform the TU
   * ... and transition to the "Terminated" state" (§17.1.4). */
  transportError(): void {
    if (this.#state === 'terminated') return;
    const wasPending = this.#state !== 'completed';
    this.#terminate();
    if (wasPending) this.#ctx.transportError();
  }

  #armE(): void {
    this.#timerE = this.#ctx.clock.setTimer(this.#intervalE, () => { this.#fireE(); });
  }

  #fireE(): void {
    // "If timer E fires while still in this state, the timer is reset, but this time with a value
    // of MIN(2*T1, T2). When the timer fires again, it is reset to a MIN(4*T1, T2)." In
    // "Proceeding": "the request MUST be passed to the transport layer for retransmission, and
    // Timer E MUST be reset with a value of T2 seconds."
    this.#intervalE = this.#state === 'trying' ? Math.min(2 * this.#intervalE, this.#ctx.timers.T2) : this.#ctx.timers.T2;
    if (this.#send()) this.#armE();
  }

  #fireF(): void {
    // "If Timer F fires while the client transaction is still in the "Trying" state, the client
    // transaction SHOULD inform the TU about the timeout, and then it SHOULD enter the
    // "Terminated" state." (likewise in "Proceeding")
    this.#terminate();
    this.#ctx.timeout();
  }

  #send(): boolean {
    try {
      this.#ctx.send(this.#request);
      return true;
    } catch {
      this.transportError();
      return false;
    }
  }

  /** Callers ensure the state is not yet Terminated (every timer is cancelled on the way in). */
  #terminate(): void {
    this.#state = 'terminated';
    this.#timerE?.cancel();
    this.#timerF?.cancel();
    this.#timerK?.cancel();
    this.#ctx.terminated();
  }
}
