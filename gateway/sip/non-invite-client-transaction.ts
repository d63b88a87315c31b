// Non-INVITE client transaction (RFC 3261 §17.1.2, Figure 6).
//
// Built for many at once (a presence fan-out sends thousands of NOTIFYs a second): the timers E, F
// and K are tickets in shared FIFO queues, one per duration (expiry-queue.ts: a timer per duration
// instead of three per transaction, shared by every transaction on a clock), the callbacks come
// from a context the caller shares between its transactions (they get the transaction as an argument, and the caller's per-transaction data
// rides on it as `data`), and a transaction in Completed keeps no request bytes.
import type { Clock } from '../clock.ts';
import { ExpiryQueue } from './expiry-queue.ts';
import type { TimerValues } from './timers.ts';
import type { SipResponse } from './message.ts';

export type NictState = 'trying' | 'proceeding' | 'completed' | 'terminated';

/** What a transaction calls back into; one object may serve many transactions. */
export interface NictContext<D = unknown> {
  clock: Clock;
  timers: TimerValues;
  reliable: boolean;
  /** hands the serialized request to the transport (again, for retransmissions); may throw */
  send(bytes: Buffer, tx: NonInviteClientTransaction<D>): void;
  /** a response for the TU: every 1xx, and the first final response */
  response(res: SipResponse, tx: NonInviteClientTransaction<D>): void;
  /** Timer F fired before a final response */
  timeout(tx: NonInviteClientTransaction<D>): void;
  transportError(tx: NonInviteClientTransaction<D>): void;
  terminated(tx: NonInviteClientTransaction<D>): void;
}

type AnyNict = NonInviteClientTransaction<unknown>;

/**
 * The timers of the client transactions on one clock: a FIFO per duration for each of E, F and K.
 * Every entry of a queue waits the same time, so entries expire in the order they were added and
 * one clock timer (for the head) serves the queue; an entry fires no earlier and no later than its
 * own timer would have (ExpiryQueue without slack).
 */
class NictQueues {
  readonly #clock: Clock;
  readonly #e = new Map<number, ExpiryQueue<AnyNict>>();
  readonly #f = new Map<number, ExpiryQueue<AnyNict>>();
  readonly #k = new Map<number, ExpiryQueue<AnyNict>>();

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  /** Timer E queue for one interval (T1, 2*T1, ... T2). */
  e(ms: number): ExpiryQueue<AnyNict> { return this.#queue(this.#e, ms, fireE); }
  /** Timer F queue (64*T1). */
  f(ms: number): ExpiryQueue<AnyNict> { return this.#queue(this.#f, ms, fireF); }
  /** Timer K queue (T4). */
  k(ms: number): ExpiryQueue<AnyNict> { return this.#queue(this.#k, ms, fireK); }

  #queue(m: Map<number, ExpiryQueue<AnyNict>>, ms: number, fire: (tx: AnyNict) => void): ExpiryQueue<AnyNict> {
    let q = m.get(ms);
    if (q === undefined) m.set(ms, q = new ExpiryQueue<AnyNict>(this.#clock, ms, 0, fire));
    return q;
  }
}

const fireE = (tx: AnyNict): void => { tx.timerE(); };
const fireF = (tx: AnyNict): void => { tx.timerF(); };
const fireK = (tx: AnyNict): void => { tx.timerK(); };

/** One set of queues per clock, shared by every transaction (and endpoint) on it. */
const sharedQueues = new WeakMap<Clock, NictQueues>();

function queuesOf(clock: Clock): NictQueues {
  let q = sharedQueues.get(clock);
  if (q === undefined) sharedQueues.set(clock, q = new NictQueues(clock));
  return q;
}

export class NonInviteClientTransaction<D = unknown> {
  /** the caller's per-transaction data */
  readonly data: D;
  #state: NictState = 'trying';
  readonly #ctx: NictContext<D>;
  readonly #queues: NictQueues;
  /** the request, for retransmissions; dropped once a final response came */
  #request: Buffer | undefined;
  /** the current Timer E interval (its queue: queues.e(#intervalE)) */
  #intervalE: number;
  #ticketE = -1;
  #ticketF = -1;
  #ticketK = -1;

  constructor(ctx: NictContext<D>, request: Buffer, data?: D) {
    this.#ctx = ctx;
    this.#queues = queuesOf(ctx.clock);
    this.#request = request;
    this.#intervalE = ctx.timers.T1;
    this.data = data as D;
  }

  get state(): NictState { return this.#state; }

  /** "The "Trying" state is entered when the TU initiates a new client transaction with a request.
   * When entering this state, the client transaction SHOULD set timer F to fire in 64*T1 seconds.
   * The request MUST be passed to the transport layer for transmission. If an unreliable transport
   * is in use, the client transaction MUST set timer E to fire in T1 seconds." */
  start(): void {
    this.#ticketF = this.#queues.f(64 * this.#ctx.timers.T1).add(this);
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
        this.#ctx.response(res, this);
        return;
      }
      // "If a final response (status codes 200-699) is received while in the "Trying" state, the
      // response MUST be passed to the TU, and the client transaction MUST transition to the
      // "Completed" state." (likewise from "Proceeding")
      this.#state = 'completed';
      this.#cancelE();
      this.#cancelF();
      this.#request = undefined;
      this.#ctx.response(res, this);
      // "Once the client transaction enters the "Completed" state, it MUST set Timer K to fire in
      // T4 seconds for unreliable transports, and zero seconds for reliable transports. The
      // "Completed" state exists to buffer any additional response retransmissions that may be
      // received"
      if (this.#state !== 'completed') return; // the TU ended it (transport error) meanwhile
      if (this.#ctx.reliable) this.#terminate();
      else this.#ticketK = this.#queues.k(this.#ctx.timers.T4).add(this);
    }
    // Completed: retransmitted responses are absorbed.
  }

  /** "If a fatal transport error is reported ..., the client transaction SHOULD inform the TU
   * ... and transition to the "Terminated" state" (§17.1.4). */
  transportError(): void {
    if (this.#state === 'terminated') return;
    const wasPending = this.#state !== 'completed';
    this.#terminate();
    if (wasPending) this.#ctx.transportError(this);
  }

  #armE(): void {
    this.#ticketE = this.#queues.e(this.#intervalE).add(this);
  }

  /** Timer E fired (called by its queue). */
  timerE(): void {
    // Only Trying and Proceeding have E (and F) waiting: the final response and Terminated cancel them.
    this.#ticketE = -1;
    // "If timer E fires while still in this state, the timer is reset, but this time with a value
    // of MIN(2*T1, T2). When the timer fires again, it is reset to a MIN(4*T1, T2)." In
    // "Proceeding": "the request MUST be passed to the transport layer for retransmission, and
    // Timer E MUST be reset with a value of T2 seconds."
    this.#intervalE = this.#state === 'trying' ? Math.min(2 * this.#intervalE, this.#ctx.timers.T2) : this.#ctx.timers.T2;
    if (this.#send()) this.#armE();
  }

  /** Timer F fired (called by its queue). */
  timerF(): void {
    this.#ticketF = -1;
    // "If Timer F fires while the client transaction is still in the "Trying" state, the client
    // transaction SHOULD inform the TU about the timeout, and then it SHOULD enter the
    // "Terminated" state." (likewise in "Proceeding")
    this.#terminate();
    this.#ctx.timeout(this);
  }

  /** Timer K fired (called by its queue). */
  timerK(): void {
    this.#ticketK = -1;
    this.#terminate();
  }

  #send(): boolean {
    try {
      this.#ctx.send(this.#request as Buffer, this);
      return true;
    } catch {
      this.transportError();
      return false;
    }
  }

  #cancelE(): void {
    if (this.#ticketE >= 0) this.#queues.e(this.#intervalE).cancel(this.#ticketE);
    this.#ticketE = -1;
  }

  #cancelF(): void {
    if (this.#ticketF >= 0) this.#queues.f(64 * this.#ctx.timers.T1).cancel(this.#ticketF);
    this.#ticketF = -1;
  }

  /** Callers ensure the state is not yet Terminated. */
  #terminate(): void {
    this.#state = 'terminated';
    this.#request = undefined;
    this.#cancelE();
    this.#cancelF();
    if (this.#ticketK >= 0) this.#queues.k(this.#ctx.timers.T4).cancel(this.#ticketK);
    this.#ticketK = -1;
    this.#ctx.terminated(this);
  }
}
