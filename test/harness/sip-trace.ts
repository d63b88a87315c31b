// Reading what SIPp saw: its -trace_msg file split into messages (byte-exact: SIPp writes each
// message's byte count in the entry header), and a deliberately simple SIP message splitter for
// assertions (start line, headers in order, body bytes). Independent of the gateway's parser, so a
// test does not check the gateway with itself.

export interface SippTraceEntry {
  readonly direction: 'sent' | 'received';
  readonly transport: string;
  readonly time: string;
  readonly bytes: Buffer;
}

// "----...---- 2026-11-24 18:25:03.693911\nUDP message received [321] bytes :\n\n<bytes>\n"
// "----...---- 2026-11-24 18:25:03.693868\nUDP message sent (235 bytes):\n\n<bytes>\n"
const ENTRY = /-{10,} ([^\n]*)\n(\w+) message (sent|received) [[(](\d+)(?: bytes)?[\])] ?(?:bytes )?:\n\n/g;

export function parseSippTrace(file: Buffer): SippTraceEntry[] {
  const s = file.toString('latin1'); // one char per byte: string offsets are byte offsets
  const out: SippTraceEntry[] = [];
  ENTRY.lastIndex = 0;
  for (let m = ENTRY.exec(s); m; m = ENTRY.exec(s)) {
    const start = m.index + m[0].length;
    const len = Number(m[4]);
    out.push({ time: m[1]!, transport: m[2]!, direction: m[3] as 'sent' | 'received', bytes: file.subarray(start, start + len) });
    ENTRY.lastIndex = start + len;
  }
  return out;
}

export interface SipMessage {
  readonly startLine: string;
  /** Request method, or undefined for a response. */
  readonly method: string | undefined;
  readonly requestUri: string | undefined;
  readonly status: number | undefined;
  readonly headers: readonly (readonly [string, string])[];
  readonly body: Buffer;
  /** First value of a header, case-insensitive, compact forms not expanded. */
  header(name: string): string | undefined;
}

export function parseSipMessage(bytes: Buffer): SipMessage {
  const sep = bytes.indexOf('\r\n\r\n');
  const headEnd = sep < 0 ? bytes.length : sep;
  const head = bytes.subarray(0, headEnd).toString('utf8');
  const body = sep < 0 ? Buffer.alloc(0) : bytes.subarray(sep + 4);
  const lines = head.split('\r\n');
  const startLine = lines[0] ?? '';
  const headers: [string, string][] = [];
  for (const line of lines.slice(1)) {
    const last = headers[headers.length - 1];
    if (/^[ \t]/.test(line) && last) {
      last[1] += ' ' + line.trim(); // RFC 3261 §7.3.1 folding
      continue;
    }
    const colon = line.indexOf(':');
    if (colon > 0) headers.push([line.slice(0, colon).trim(), line.slice(colon + 1).trim()]);
  }
  const req = /^([A-Z]+) (\S+) SIP\/2\.0$/.exec(startLine);
  const res = /^SIP\/2\.0 (\d{3}) /.exec(startLine + ' ');
  return {
    startLine,
    method: req?.[1],
    requestUri: req?.[2],
    status: res ? Number(res[1]) : undefined,
    headers,
    body,
    header: (name) => headers.find(([n]) => n.toLowerCase() === name.toLowerCase())?.[1],
  };
}
