// Parse failures as values. When the header section could be read, `headers` carries it so the
// caller can still answer 400 (RFC 3261 §8.2 needs Via, From, To, Call-ID and CSeq for that).
import type { SipHeaders } from './headers.ts';

export type ParseErrorReason =
  | 'empty'
  | 'start-line'
  | 'status-code'
  | 'header-syntax'
  | 'no-empty-line'
  | 'content-length-missing'
  | 'content-length-invalid'
  | 'content-length-duplicate'
  | 'body-truncated'
  | 'too-large';

export class ParseError {
  readonly reason: ParseErrorReason;
  readonly detail: string;
  readonly isResponse: boolean;
  readonly headers: SipHeaders | undefined;

  constructor(reason: ParseErrorReason, detail: string, isResponse = false, headers?: SipHeaders) {
    this.reason = reason;
    this.detail = detail;
    this.isResponse = isResponse;
    this.headers = headers;
  }
}
