// RFC 3261 §17.1.1.1 / Table 4 timer values.
export interface TimerValues {
  /** RTT estimate, default 500 ms */
  T1: number;
  /** maximum retransmit interval for non-INVITE requests and INVITE responses, default 4 s */
  T2: number;
  /** maximum duration a message will remain in the network, default 5 s */
  T4: number;
}

export const DEFAULT_TIMERS: TimerValues = { T1: 500, T2: 4000, T4: 5000 };
