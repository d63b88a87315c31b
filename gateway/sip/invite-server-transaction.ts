// INVITE server transaction (RFC 3261 §17.2.1, Figure 7). The gateway has no sessions, so the TU
// answers every INVITE with a final non-2xx; a 2xx is still handled as the RFC says.
import type { Clock, TimerHandle } from '../clock.ts';
import type { TimerValues } from './timers.ts';

export type IstState = 'proceeding' | 'completed' | 'confirmed' | 'terminated';

export interface IstContext {
  clock: Clock;
  timers: TimerValues;
  reliable: boolean;
  /** hands a serialized response to the transport */
  send(bytes: Buffer): void;
  /** Timer H fired: the ACK never came ("a transaction failure has occurred") */
  ackTimeout?(): void;
  terminated(): void;
}

export class InviteServerTransaction {
  #state: IstState = 'proceeding';
  readonly #ctx: IstContext;
  #lastResponse: Buffer | undefined;
  #intervalG: number;
  #timerG: TimerHandle | undefined;
  #timerH: TimerHandle | undefined;
  #timerI: TimerHandle | undefined;

  constructor(ctx: IstContext) {
    this.#ctx = ctx;
    this.#intervalG = ctx.timers.T1;
  }

  get state(): IstState { return this.#state; }

  /** A retransmission of the INVITE. */
  receiveRequest(): void {
    if (this.#state === 'proceeding' || this.#state === 'completed') {
      // "If a request retransmission is received while in the "Proceeding" state, the most recent
      // provisional response that was received from the TU MUST be passed to the transport layer
      // for retransmission." / "while in the "Completed" state, if a request retransmission is
      // received, the server SHOULD pass the response to the transport for retransmission."
      if (this.#lastResponse !== undefined) this.#send(this.#lastResponse);
    }
  }

  receiveAck(): void {
    if (this.#state !== 'completed') return; // Confirmed: "absorb any additional ACK messages"
    // "If an ACK is received while the server transaction is in the "Completed" state, the server
    // transaction MUST transition to the "Confirmed" state. As Timer G is ignored in this state,
    // any retransmissions of the response will cease."
    this.#state = 'confirmed';
    this.#timerG?.cancel();
    this.#timerH?.cancel();
    // "When this state is entered, timer I is set to fire in T4 seconds for unreliable transports,
    // and zero seconds for reliable transports." "Once timer I fires, the server MUST transition to
    // the "Terminated" state."
    if (this.#ctx.reliable) this.#terminate();
    else this.#timerI = this.#ctx.clock.setTimer(this.#ctx.timers.T4, () => { this.#terminate(); });
  }

  /** The TU answers with status and the response's bytes. */
  respond(status: number, bytes: Buffer): void {
    if (this.#state !== 'proceeding') return;
    this.#lastResponse = bytes;
    if (status < 200) {
      // "The TU passes any number of provisional responses to the server transaction. So long as
      // the server transaction is in the "Proceeding" state, each of these MUST be passed to the
      // transport layer for transmission."
      this.#send(bytes);
      return;
    }
    if (status < 300) {
      // "If, while in the "Proceeding" state, the TU passes a 2xx response to the server
      // transaction, the server transaction MUST pass this response to the transport layer for
      // transmission. ... The server transaction MUST then transition to the "Terminated" state."
      this.#send(bytes);
      this.#terminate();
      return;
    }
    // "While in the "Proceeding" state, if the TU passes a response with status code from 300 to
    // 699 to the server transaction, the response MUST be passed to the transport layer for
    // transmission, and the state machine MUST enter the "Completed" state. For unreliable
    // transports, timer G is set to fire in T1 seconds, and is not set to fire for reliable
    // transports." "When the "Completed" state is entered, timer H MUST be set to fire in 64*T1
    // seconds for all transports."
    this.#state = 'completed';
    if (!this.#send(bytes)) return;
    if (!this.#ctx.reliable) this.#armG();
    this.#timerH = this.#ctx.clock.setTimer(64 * this.#ctx.timers.T1, () => { this.#fireH(); });
  }

  /** "the server transaction MUST inform the TU of a transport failure and transition to the
   * "Terminated" state" (§17.2.4). */
  transportError(): void {
    this.#terminate();
  }

  #armG(): void {
    this.#timerG = this.#ctx.clock.setTimer(this.#intervalG, () => { this.#fireG(); });
  }

  #fireG(): void {
    // "If timer G fires, the response is passed to the transport layer once more for
    // retransmission, and timer G is set to fire in MIN(2*T1, T2) seconds. From then on, when timer
    // G fires, the response is passed to the transport again for transmission, and timer G is reset
    // with a value that doubles, unless that value exceeds T2, in which case it is reset with the
    // value of T2."
    this.#intervalG = Math.min(2 * this.#intervalG, this.#ctx.timers.T2);
    if (this.#send(this.#lastResponse as Buffer)) this.#armG();
  }

  #fireH(): void {
    // "If timer H fires while in the "Completed" state, it implies that the ACK was never received.
    // In this case, the server transaction MUST transition to the "Terminated" state, and MUST
    // indicate to the TU that a transaction failure has occurred."
    this.#terminate();
    this.#ctx.ackTimeout?.();
  }

  #send(bytes: Buffer): boolean {
    try {
      this.#ctx.send(bytes);
      return true;
    } catch {
      this.transportError();
      return false;
    }
  }

  #terminate(): void {
    if (this.#state === 'terminated') return;
    this.#state = 'terminated';
    this.#timerG?.cancel();
    this.#timerH?.cancel();
    this.#timerI?.cancel();
    this.#ctx.terminated();
  }
}
