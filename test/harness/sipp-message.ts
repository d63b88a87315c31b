// The SIP MESSAGE peers most gateway tests need, over the scenarios in test/e2e/scenarios.
import { startSipp, REASON } from './sipp.ts';
import type { SippHandle } from './sipp.ts';

export interface MessageUacOptions {
  /** host:port of the SIP server under test. */
  readonly remote: string;
  readonly transport?: 'udp' | 'tcp';
  readonly ruri?: string;
  readonly from?: string;
  readonly to?: string;
  readonly contentType?: string;
  readonly body: string;
  /** Exact final status expected; default: any 2xx of 200 and 202. */
  readonly expect?: number;
  readonly port?: number;
  readonly timeoutMs?: number;
}

/** Sends one MESSAGE (defaults: sip:alice@corp.test → sip:bob@xmpp.test, text/plain;charset=UTF-8). */
export function sippMessageUac(o: MessageUacOptions): Promise<SippHandle> {
  const to = o.to ?? 'sip:bob@xmpp.test';
  return startSipp({
    scenario: o.expect === undefined ? 'uac-message.xml' : 'uac-message-expect.xml',
    remote: o.remote,
    transport: o.transport,
    port: o.port,
    timeoutMs: o.timeoutMs,
    params: o.expect === undefined ? {} : { expect: o.expect },
    keys: {
      ruri: o.ruri ?? to,
      from: o.from ?? 'sip:alice@corp.test',
      to,
      content_type: o.contentType ?? 'text/plain;charset=UTF-8',
      body: o.body,
    },
  });
}

export interface MessageUasOptions {
  readonly transport?: 'udp' | 'tcp';
  /** Status to answer with (default 200). */
  readonly status?: number;
  readonly reason?: string;
  /** Number of MESSAGEs to answer before exiting (default 1). */
  readonly calls?: number;
  readonly port?: number;
  readonly timeoutMs?: number;
}

/** Answers MESSAGEs with a fixed status; resolves once it listens. */
export function sippMessageUas(o: MessageUasOptions = {}): Promise<SippHandle> {
  const status = o.status ?? 200;
  return startSipp({
    scenario: 'uas-message.xml',
    transport: o.transport,
    port: o.port,
    calls: o.calls,
    timeoutMs: o.timeoutMs,
    params: { status, reason: o.reason ?? REASON[status] ?? 'Status' },
  });
}
