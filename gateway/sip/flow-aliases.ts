// The names a WebSocket client goes by (RFC 7118 §5.2): browsers cannot listen, so a client writes
// a made-up host (SIP.js: "<random>.invalid") in its Via sent-by and Contact, and requests we send
// to it (a NOTIFY to its Contact) must go back over the connection it came from. These are the
// hosts of a request's top Via and first Contact, lower-cased; the WS transport maps them to the
// connection. Pure: headers in, names out.
import { HeaderValueError } from './header-value-error.ts';
import type { SipRequest } from './message.ts';
import { parseNameAddr } from './name-addr.ts';
import { splitList } from './split-list.ts';
import { isSipUri, parseUri, UriError } from './uri.ts';
import { parseVia } from './via.ts';

export function flowAliases(req: SipRequest): string[] {
  const out = new Set<string>();
  const viaText = req.headers.first('via');
  const via = viaText === undefined ? undefined : parseVia(splitList(viaText)[0] as string);
  if (via !== undefined && !(via instanceof HeaderValueError)) out.add(via.host.toLowerCase());
  const contactText = req.headers.first('contact');
  const na = contactText === undefined ? undefined : parseNameAddr(splitList(contactText)[0] as string);
  if (na !== undefined && !(na instanceof HeaderValueError)) {
    const uri = parseUri(na.uri);
    if (!(uri instanceof UriError) && isSipUri(uri)) out.add(uri.host.toLowerCase());
  }
  return [...out];
}
