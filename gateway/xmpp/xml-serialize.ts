// XmlElement → XML 1.0 text, safe to put on an XMPP stream.
//
// XML 1.0 §2.2: Char ::= #x9 | #xA | #xD | [#x20-#xD7FF] | [#xE000-#xFFFD] | [#x10000-#x10FFFF].
// A character outside that set makes the whole stream not-well-formed, and the server then drops
// the component (RFC 6120 §4.9.3.13). Such characters are therefore NEVER written: each one is
// replaced with U+FFFD and counted, so the caller can log it. The translators refuse such bodies
// earlier; this is defence in depth.
import type { XmlElement, XmlNode } from '../../translators/xml.ts';

export interface Serialized {
  readonly xml: string;
  /** How many characters XML 1.0 cannot carry were replaced with U+FFFD. */
  readonly replaced: number;
}

export class InvalidXmlNameError extends Error {
  override readonly name = 'InvalidXmlNameError';
  readonly xmlName: string;
  constructor(xmlName: string) {
    super(`not an XML name: ${JSON.stringify(xmlName)}`);
    this.xmlName = xmlName;
  }
}

// With the `u` flag a surrogate pair is one code point, so [\uD800-\uDFFF] only matches LONE
// surrogates; astral characters (emoji) pass intact.
const NOT_XML_CHAR = String.raw`\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF\uD800-\uDFFF`;
const TEXT_SPECIAL = new RegExp(`[&<>\r${NOT_XML_CHAR}]`, 'gu');
const ATTR_SPECIAL = new RegExp(`[&<>"\t\n\r${NOT_XML_CHAR}]`, 'gu');
// The same classes without `g` (no lastIndex state): most strings need no escaping at all.
const HAS_TEXT_SPECIAL = new RegExp(TEXT_SPECIAL.source, 'u');
const HAS_ATTR_SPECIAL = new RegExp(ATTR_SPECIAL.source, 'u');
const ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', '\t': '&#9;', '\n': '&#10;', '\r': '&#13;',
};
// XML 1.0 (fifth edition) Name, kept simple: a letter or '_' first, then letters, digits, . - _ :
const XML_NAME = /^[\p{L}_][\p{L}\p{N}._:\-]*$/u;

class Writer {
  replaced = 0;
  readonly #replace = (c: string): string => {
    const e = ESCAPES[c];
    if (e !== undefined) return e;
    this.replaced++;
    return '\uFFFD';
  };
  text(s: string): string { return HAS_TEXT_SPECIAL.test(s) ? s.replace(TEXT_SPECIAL, this.#replace) : s; }
  attr(s: string): string { return HAS_ATTR_SPECIAL.test(s) ? s.replace(ATTR_SPECIAL, this.#replace) : s; }
}

/** Names already checked (element and attribute names come from a small set). */
const goodNames = new Set<string>();

function checkName(n: string): string {
  if (goodNames.has(n)) return n;
  if (!XML_NAME.test(n)) throw new InvalidXmlNameError(n);
  if (goodNames.size < 1024) goodNames.add(n);
  return n;
}

function write(w: Writer, node: XmlNode, out: string[]): void {
  if (typeof node === 'string') {
    out.push(w.text(node));
    return;
  }
  out.push('<', checkName(node.name));
  for (const [k, v] of Object.entries(node.attrs)) out.push(' ', checkName(k), '="', w.attr(v), '"');
  if (node.children.length === 0) {
    out.push('/>');
    return;
  }
  out.push('>');
  for (const c of node.children) write(w, c, out);
  out.push('</', node.name, '>');
}

/** Serialise an element; throws InvalidXmlNameError for a name that is not an XML name. */
export function serialize(e: XmlElement): Serialized {
  const w = new Writer();
  const out: string[] = [];
  write(w, e, out);
  return { xml: out.join(''), replaced: w.replaced };
}

/** Escape a string for use in text content (same rules as serialize). */
export function escapeText(s: string): Serialized {
  const w = new Writer();
  return { xml: w.text(s), replaced: w.replaced };
}
