// SipMessage → bytes. Unchanged parsed header lines are copied byte for byte; Content-Length is
// always the body's length in bytes (never characters), written where the first one stood.
import { writeMessage } from './byte-writer.ts';
import type { ByteWriter } from './byte-writer.ts';
import type { SipMessage } from './message.ts';

const CRLF = '\r\n';

export function serialize(msg: SipMessage): Buffer {
  return writeMessage(layout, msg, undefined, undefined);
}

function layout(w: ByteWriter, msg: SipMessage): void {
  if (msg.kind === 'request') w.text(msg.method).text(' ').text(msg.uri).text(' ').text(msg.version).text(CRLF);
  else w.text(msg.version).text(' ').int(msg.status).text(' ').text(msg.reason).text(CRLF);
  const h = msg.headers;
  const bodyLength = msg.body.length;
  let wroteLength = false;
  for (let i = 0; i < h.size; i++) {
    const isLength = h.keyAt(i) === 'content-length';
    if (isLength && wroteLength) continue;
    const raw = h.rawLine(i);
    if (raw !== undefined && (!isLength || h.valueAt(i) === String(bodyLength))) w.bytes(raw[0], raw[1], raw[2]).text(CRLF);
    else if (isLength) w.text(h.nameAt(i)).text(': ').int(bodyLength).text(CRLF);
    else w.text(h.nameAt(i)).text(': ').text(h.valueAt(i)).text(CRLF);
    wroteLength ||= isLength;
  }
  if (!wroteLength) w.text('Content-Length: ').int(bodyLength).text(CRLF);
  w.text(CRLF);
  if (bodyLength > 0) w.bytes(msg.body, 0, bodyLength);
}
