// Framing for stream transports (RFC 3261 §18.3): takes chunks split at any byte and yields whole
// messages. "In the case of stream-oriented transports such as TCP, the Content-Length header field
// indicates the size of the body. ... it MUST be used with stream-oriented transports." A missing,
// malformed or duplicated Content-Length, or a message over the size limit, leaves the stream
// unframeable: the framer reports it once and takes no more input, and the transport answers 400
// (when it can) and closes. Memory use is bounded by the limit, never by a declared length.
// CRLFs between messages are skipped; each double CRLF among them is counted as an RFC 5626
// keep-alive ping for the transport to answer (takePings).
import { completeMessage, findHeadEnd, parseHead, skipLeadingCrlf } from './parser.ts';
import type { Head } from './parser.ts';
import type { SipMessage } from './message.ts';
import { ParseError } from './parse-error.ts';
import type { SipHeaders } from './headers.ts';

export const DEFAULT_MAX_MESSAGE_BYTES = 65536;

export class StreamFramer {
  readonly #max: number;
  #buf: Buffer = Buffer.alloc(0);
  #scanned = 0;
  #head: Head | undefined;
  #length = 0;
  #failed = false;
  #crlfs = 0;
  #pings = 0;

  constructor(maxMessageBytes = DEFAULT_MAX_MESSAGE_BYTES) {
    this.#max = maxMessageBytes;
  }

  /** True once a framing error was reported; the stream must be closed. */
  get failed(): boolean { return this.#failed; }
  /** Bytes of an incomplete message held. */
  get pending(): number { return this.#buf.length; }
  /** Headers of a message whose body has not fully arrived (e.g. to answer 400 on a timeout). */
  get pendingHeaders(): SipHeaders | undefined { return this.#head?.headers; }

  /**
   * Keep-alive pings seen since the last call: "When a server receives a double CRLF sequence
   * between SIP messages on a connection-oriented transport such as TCP or SCTP, it MUST
   * immediately respond with a single CRLF over the same connection." (RFC 5626 §4.4.1) A single
   * CRLF between messages is only skipped (RFC 3261 §7.5).
   */
  takePings(): number {
    const n = this.#pings;
    this.#pings = 0;
    return n;
  }

  /** Each result is a message, a per-message ParseError (bad start line), or a final framing error. */
  push(chunk: Buffer): Array<SipMessage | ParseError> {
    const out: Array<SipMessage | ParseError> = [];
    if (this.#failed) return out;
    this.#buf = this.#buf.length === 0 ? chunk : Buffer.concat([this.#buf, chunk]);
    for (;;) {
      if (this.#head === undefined) {
        const err = this.#readHead();
        if (err) {
          out.push(err);
          this.#failed = true;
          this.#buf = Buffer.alloc(0);
          return out;
        }
        if (this.#head === undefined) return out;
      }
      const head: Head = this.#head;
      const end = head.bodyStart + this.#length;
      if (this.#buf.length < end) return out;
      out.push(completeMessage(head, this.#buf.subarray(head.bodyStart, end)));
      this.#buf = this.#buf.subarray(end);
      this.#head = undefined;
      this.#scanned = 0;
    }
  }

  #readHead(): ParseError | undefined {
    const skip = skipLeadingCrlf(this.#buf, 0, this.#buf.length);
    if (skip > 0) {
      this.#buf = this.#buf.subarray(skip);
      this.#scanned = Math.max(0, this.#scanned - skip);
      this.#crlfs += skip / 2;
      this.#pings += Math.floor(this.#crlfs / 2);
      this.#crlfs %= 2;
    }
    const buf = this.#buf;
    // A message starts (anything but a CR that may begin the next CRLF): the CRLF run is over.
    if (buf.length > 1 || (buf.length === 1 && buf[0] !== 0x0d)) this.#crlfs = 0;
    const headEnd = findHeadEnd(buf, Math.max(0, this.#scanned - 3), buf.length);
    if (headEnd < 0) {
      this.#scanned = buf.length;
      return buf.length > this.#max ? new ParseError('too-large', `no end of headers within ${this.#max} bytes`) : undefined;
    }
    const head = parseHead(buf, 0, headEnd);
    if (head instanceof ParseError) return head;
    const isResponse = head.start instanceof ParseError ? head.start.isResponse : head.start.kind === 'response';
    const cl = head.contentLength;
    if (cl instanceof ParseError) return cl;
    if (cl === undefined) return new ParseError('content-length-missing', 'no Content-Length on a stream transport', isResponse, head.headers);
    if (head.bodyStart + cl > this.#max) {
      return new ParseError('too-large', `message of ${head.bodyStart + cl} bytes exceeds ${this.#max}`, isResponse, head.headers);
    }
    this.#head = head;
    this.#length = cl;
    return undefined;
  }
}
