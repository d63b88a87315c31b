// message/cpim (RFC 3862 §2): message headers, a blank line, the encapsulated MIME headers, a
// blank line, then the content. Lines end in CRLF; a bare LF is read too (lenient). A header
// line starting with SP or HTAB continues the previous one. The content is returned as the
// exact bytes that follow the second blank line.

export interface CpimMessage {
  readonly headers: readonly (readonly [string, string])[];
  readonly mimeHeaders: readonly (readonly [string, string])[];
  readonly content: Uint8Array;
}

const LF = 0x0a;
const CR = 0x0d;
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

interface HeaderBlock {
  readonly headers: [string, string][];
  readonly end: number;
}

function readHeaderBlock(bytes: Uint8Array, start: number): HeaderBlock | undefined {
  const headers: [string, string][] = [];
  let pos = start;
  for (;;) {
    const lf = bytes.indexOf(LF, pos);
    if (lf < 0) return undefined; // no blank line: the block never ends
    const lineEnd = lf > pos && bytes[lf - 1] === CR ? lf - 1 : lf;
    let line: string;
    try {
      line = strictUtf8.decode(bytes.subarray(pos, lineEnd));
    } catch {
      return undefined;
    }
    pos = lf + 1;
    if (line === '') return { headers, end: pos };
    const last = headers.at(-1);
    if (line.startsWith(' ') || line.startsWith('\t')) {
      if (last === undefined) return undefined;
      last[1] += ` ${line.trim()}`;
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) return undefined;
    headers.push([line.slice(0, colon).trim(), line.slice(colon + 1).trim()]);
  }
}

export function parseCpim(bytes: Uint8Array): CpimMessage | undefined {
  const message = readHeaderBlock(bytes, 0);
  if (message === undefined) return undefined;
  const mime = readHeaderBlock(bytes, message.end);
  if (mime === undefined) return undefined;
  return { headers: message.headers, mimeHeaders: mime.headers, content: bytes.subarray(mime.end) };
}
