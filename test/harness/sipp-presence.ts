// SIPp as a presence UA (test/e2e/scenarios): a PUBLISHer of PIDF and a SUBSCRIBE watcher.
import { startSipp, type SippHandle } from './sipp.ts';

/** A PIDF document with one open tuple, an RPID activity and a note (what a desk phone publishes). */
export function pidfDocument(entity: string, o: { activity?: string; note?: string; basic?: 'open' | 'closed' } = {}): string {
  const person = o.activity !== undefined || o.note !== undefined
    ? `<dm:person id="p1">${o.activity !== undefined ? `<rpid:activities><rpid:${o.activity}/></rpid:activities>` : ''}${o.note !== undefined ? `<dm:note>${o.note}</dm:note>` : ''}</dm:person>`
    : '';
  return '<?xml version="1.0" encoding="UTF-8"?>\n'
    + '<presence xmlns="urn:ietf:params:xml:ns:pidf" xmlns:dm="urn:ietf:params:xml:ns:pidf:data-model" xmlns:rpid="urn:ietf:params:xml:ns:pidf:rpid" '
    + `entity="${entity}"><tuple id="t1"><status><basic>${o.basic ?? 'open'}</basic></status></tuple>${person}</presence>`;
}

/** One PUBLISH expecting 200; `from` (the publisher) defaults to the presentity itself. */
export function sippPublish(o: { remote: string; presentity: string; body: string; from?: string; expires?: number; transport?: 'udp' | 'tcp' }): Promise<SippHandle> {
  return startSipp({
    scenario: 'uac-publish.xml', remote: o.remote, transport: o.transport,
    keys: { ruri: o.presentity, from: o.from ?? o.presentity, expires: String(o.expires ?? 3600), body: o.body },
  });
}

export interface EpaPublishOptions {
  remote: string;
  presentity: string;
  /** The publisher (From). */
  from: string;
  /** PIDF text; omit for a refresh or a removal. */
  body?: string;
  expires?: number;
  /** SIP-If-Match: the entity tag of the state to refresh, modify or remove. */
  ifMatch?: string;
  /** The final response the scenario expects (default 200). */
  expect?: number;
  transport?: 'udp' | 'tcp';
}

/** One PUBLISH of an event publication agent (RFC 3903): initial, refresh, modify or remove. */
export function sippPublishEsc(o: EpaPublishOptions): Promise<SippHandle> {
  const headers = [...(o.ifMatch !== undefined ? [`SIP-If-Match: ${o.ifMatch}`] : []), 'Content-Type: application/pidf+xml'].join('\r\n');
  return startSipp({
    scenario: 'uac-publish-esc.xml', remote: o.remote, transport: o.transport,
    keys: { ruri: o.presentity, from: o.from, expires: String(o.expires ?? 3600), headers, body: o.body ?? '' },
    params: { status: o.expect ?? 200 },
  });
}

export interface WatchOptions {
  remote: string;
  presentity: string;
  watcher: string;
  /** Regular expression a NOTIFY body must match before the scenario moves on. */
  until: string;
  after: 'unsubscribe' | 'refresh' | 'leave';
  expires?: number;
  transport?: 'udp' | 'tcp';
  timeoutMs?: number;
}

export function sippWatch(o: WatchOptions): Promise<SippHandle> {
  return startSipp({
    scenario: 'uac-subscribe-watch.xml', remote: o.remote, transport: o.transport, timeoutMs: o.timeoutMs ?? 15_000,
    keys: { ruri: o.presentity, from: o.watcher, expires: String(o.expires ?? 600) },
    params: { until: o.until, after: o.after },
  });
}
