// SipMessage → bytes. Unchanged parsed header lines are copied byte for byte; Content-Length is
// always the body's length in bytes (never characters), written where the first one stood.
import type { SipMessage } from './message.ts';

const CRLF = '\r\n';

export function serialize(msg: SipMessage): Buffer {
  const parts: Buffer[] = [];
  let text = msg.kind === 'request'
    ? `${msg.method} ${msg.uri} ${msg.version}${CRLF}`
    : `${msg.version} ${msg.status} ${msg.reason}${CRLF}`;
  const h = msg.headers;
  const bodyLength = msg.body.length;
  let wroteLength = false;
  for (let i = 0; i < h.size; i++) {
    const isLength = h.keyAt(i) === 'content-length';
    if (isLength && wroteLength) continue;
    const raw = h.rawLine(i);
    if (raw !== undefined && (!isLength || h.valueAt(i) === String(bodyLength))) {
      if (text !== '') parts.push(Buffer.from(text, 'utf8'));
      parts.push(raw[0].subarray(raw[1], raw[2]));
      text = CRLF;
    } else {
      text += `${h.nameAt(i)}: ${isLength ? bodyLength : h.valueAt(i)}${CRLF}`;
    }
    wroteLength ||= isLength;
  }
  if (!wroteLength) text += `Content-Length: ${bodyLength}${CRLF}`;
  parts.push(Buffer.from(text + CRLF, 'utf8'));
  if (bodyLength > 0) parts.push(msg.body);
  return Buffer.concat(parts);
}
