// A small, strict, namespace-aware XML 1.0 parser for the documents the translators read from
// SIP bodies (PIDF, RPID). Translators import nothing from npm, so this is hand-written: one
// linear scanner over the text, no DTD, no entity expansion, bounded size, depth and element count.
//
// What it accepts: XML 1.0 (fifth edition) with Namespaces in XML 1.0, minus every DTD feature.
//  - An optional XML declaration at the very start (version 1.0; encoding UTF-8 or US-ASCII when
//    named, as the text is already decoded (ours)); a BOM before it is skipped.
//  - The five predefined entities and numeric character references. Any other entity reference,
//    any DOCTYPE, and every processing instruction other than the XML declaration are refused:
//    this closes entity expansion (billion laughs), external entities (XXE) and DTD tricks at once.
//  - CDATA sections (their text is kept); comments are skipped.
//  - Well-formedness: one root, matching end tags, unique attributes (by qualified and by expanded
//    name), only characters XML 1.0 allows, no `]]>` in text, no `<` in attribute values, no `--`
//    in comments. Line ends are normalised (§2.11) and attribute values normalised as CDATA (§3.3.3).
//
// The tree it returns (the house XmlElement of xml.ts), our representation of names:
//  - `name` is the element's LOCAL name; `attrs.xmlns` is its namespace URI, on EVERY element that
//    has one (inherited or declared, default or prefixed); an element in no namespace has no xmlns.
//    Prefixes and namespace declarations (xmlns:p) are resolved and dropped: `<p:a xmlns:p='u'/>`
//    and `<a xmlns='u'/>` give the same tree.
//  - An unprefixed attribute is keyed by its name; `xml:lang` (and any other attribute in the xml
//    namespace) keeps the `xml:` prefix; any other prefixed attribute is keyed `{namespace}local`
//    (Clark notation), which is unambiguous whatever prefix the sender chose.
//  - Text is kept as it is (whitespace included); adjacent text, references and CDATA merge into
//    one string child.
// Refusals are `bad-request` errors whose detail is a fixed literal (no input text is echoed).

import { gatewayError, type GatewayError } from './errors.ts';
import { fail, ok, type Result } from './result.ts';
import type { XmlElement, XmlNode } from './xml.ts';

export interface XmlLimits {
  /** Largest document, in UTF-8 bytes. */
  readonly maxBytes?: number;
  /** Deepest nesting of elements; the root is at depth 1. */
  readonly maxDepth?: number;
  /** Most elements in one document. */
  readonly maxElements?: number;
}

export const DEFAULT_XML_LIMITS: Required<XmlLimits> = { maxBytes: 64 * 1024, maxDepth: 32, maxElements: 4096 };

export const XML_NS = 'http://www.w3.org/XML/1998/namespace';
export const XMLNS_NS = 'http://www.w3.org/2000/xmlns/';

type ParseResult = Result<XmlElement, GatewayError>;

function refuse(detail: string): { readonly ok: false; readonly error: GatewayError } {
  return fail(gatewayError('bad-request', `XML: ${detail}`));
}

// ---------------------------------------------------------------------------------------------
// Characters (XML 1.0 §2.2, §2.3)

/** Char for a code point: #x9 | #xA | #xD | [#x20-#xD7FF] | [#xE000-#xFFFD] | [#x10000-#x10FFFF]. */
function isXmlChar(c: number): boolean {
  return c >= 0x20 ? c <= 0xd7ff || (c >= 0xe000 && c <= 0xfffd) || (c >= 0x10000 && c <= 0x10ffff) : c === 0x9 || c === 0xa || c === 0xd;
}

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x9 || c === 0xa || c === 0xd;
}

/** NameStartChar without ':' (names are split at ':' by the namespace rules). */
function isNameStart(c: number): boolean {
  if (c < 0x80) return (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || c === 0x5f;
  return (c >= 0xc0 && c <= 0xd6) || (c >= 0xd8 && c <= 0xf6) || (c >= 0xf8 && c <= 0x2ff) || (c >= 0x370 && c <= 0x37d)
    || (c >= 0x37f && c <= 0x1fff) || c === 0x200c || c === 0x200d || (c >= 0x2070 && c <= 0x218f) || (c >= 0x2c00 && c <= 0x2fef)
    || (c >= 0x3001 && c <= 0xd7ff) || (c >= 0xf900 && c <= 0xfdcf) || (c >= 0xfdf0 && c <= 0xfffd) || (c >= 0x10000 && c <= 0xeffff);
}

function isNameChar(c: number): boolean {
  return isNameStart(c) || c === 0x2d || c === 0x2e || (c >= 0x30 && c <= 0x39) || c === 0xb7 || (c >= 0x300 && c <= 0x36f) || c === 0x203f || c === 0x2040;
}

/**
 * One pass over the whole text: every character must be an XML Char (surrogates only in pairs).
 * Returns the UTF-8 length, or -1 on a character XML cannot carry.
 */
function utf8LengthOfXmlText(s: string): number {
  let bytes = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      const d = s.charCodeAt(i + 1); // NaN past the end
      if (!(d >= 0xdc00 && d <= 0xdfff)) return -1;
      i++;
      bytes += 4;
    } else if (!isXmlChar(c)) {
      return -1; // includes a lone low surrogate
    } else {
      bytes += c < 0x80 ? 1 : c < 0x800 ? 2 : 3;
    }
  }
  return bytes;
}

/** The code point of a character reference body (`#123` or `#x7B`); NaN when malformed (§4.1). */
function charRef(body: string): number {
  const hex = body.startsWith('#x');
  let cp = 0;
  let i = hex ? 2 : 1;
  if (i === body.length) return NaN;
  for (; i < body.length; i++) {
    const c = body.charCodeAt(i);
    const d = c >= 0x30 && c <= 0x39 ? c - 0x30 : hex && c >= 0x61 && c <= 0x66 ? c - 0x57 : hex && c >= 0x41 && c <= 0x46 ? c - 0x37 : -1;
    if (d < 0) return NaN;
    cp = cp * (hex ? 16 : 10) + d;
    if (cp > 0x10ffff) return NaN; // stop early: leading zeros are fine, huge values are not
  }
  return cp;
}

const PREDEFINED: Readonly<Record<string, string>> = { lt: '<', gt: '>', amp: '&', apos: "'", quot: '"' };

// ---------------------------------------------------------------------------------------------
// Namespace scopes

interface Scope {
  readonly parent: Scope | undefined;
  /** prefix ('' for the default namespace) → URI ('' undeclares the default). */
  readonly bindings: ReadonlyMap<string, string>;
}

const ROOT_SCOPE: Scope = { parent: undefined, bindings: new Map([['xml', XML_NS]]) };

function lookup(scope: Scope | undefined, prefix: string): string | undefined {
  for (let s = scope; s !== undefined; s = s.parent) {
    const uri = s.bindings.get(prefix);
    if (uri !== undefined) return uri;
  }
  return undefined;
}

interface Frame {
  readonly qname: string;
  readonly scope: Scope;
  readonly element: { name: string; attrs: Record<string, string>; children: XmlNode[] };
}

// ---------------------------------------------------------------------------------------------
// The scanner

class Scanner {
  readonly src: string;
  pos = 0;
  readonly stack: Frame[] = [];
  root: XmlElement | undefined;
  elements = 0;
  readonly limits: Required<XmlLimits>;

  constructor(src: string, limits: Required<XmlLimits>) {
    this.src = src;
    this.limits = limits;
  }

  startsWith(s: string): boolean {
    return this.src.startsWith(s, this.pos);
  }

  skipSpace(): boolean {
    const from = this.pos;
    while (this.pos < this.src.length && isSpace(this.src.charCodeAt(this.pos))) this.pos++;
    return this.pos > from;
  }

  /** A Name at pos (XML 1.0 §2.3), colons included; '' when none starts here. */
  name(): string {
    const from = this.pos;
    let first = true;
    while (this.pos < this.src.length) {
      const c = this.src.codePointAt(this.pos) as number;
      if (!(c === 0x3a || (first ? isNameStart(c) : isNameChar(c)))) break;
      this.pos += c > 0xffff ? 2 : 1;
      first = false;
    }
    return this.src.slice(from, this.pos);
  }

  /** `&...;` at pos: the text it stands for, or an error detail. */
  reference(): { text: string } | { error: string } {
    const end = this.src.indexOf(';', this.pos);
    if (end < 0) return { error: 'malformed reference' };
    const body = this.src.slice(this.pos + 1, end);
    this.pos = end + 1;
    if (body.startsWith('#')) {
      const cp = charRef(body);
      if (!isXmlChar(cp)) return { error: 'character reference to a character XML does not allow' };
      return { text: String.fromCodePoint(cp) };
    }
    const predefined = PREDEFINED[body];
    if (predefined === undefined) return { error: 'entity references other than the five predefined ones are not allowed' };
    return { text: predefined };
  }

  /** A quoted attribute value at pos, references expanded and normalised (§3.3.3). */
  attrValue(): { text: string } | { error: string } {
    const quote = this.src[this.pos];
    if (quote !== '"' && quote !== "'") return { error: 'attribute value not quoted' };
    this.pos++;
    let out = '';
    let run = this.pos;
    for (;;) {
      if (this.pos >= this.src.length) return { error: 'unterminated attribute value' };
      const ch = this.src[this.pos];
      if (ch === quote) break;
      if (ch === '<') return { error: '< in an attribute value' };
      if (ch === '&') {
        out += this.src.slice(run, this.pos);
        const r = this.reference();
        if ('error' in r) return r;
        out += r.text;
        run = this.pos;
      } else if (ch === '\t' || ch === '\n') {
        out += this.src.slice(run, this.pos) + ' ';
        run = ++this.pos;
      } else {
        this.pos++;
      }
    }
    out += this.src.slice(run, this.pos);
    this.pos++;
    return { text: out };
  }

  appendText(s: string): void {
    const top = this.stack.at(-1);
    if (top === undefined) return; // only whitespace reaches here outside the root
    const kids = top.element.children;
    const last = kids.length - 1;
    if (last >= 0 && typeof kids[last] === 'string') kids[last] += s;
    else kids.push(s);
  }

  /** Character data up to the next '<' (references expanded). */
  text(): string | undefined {
    const inside = this.stack.length > 0;
    let run = this.pos;
    while (this.pos < this.src.length) {
      const c = this.src.charCodeAt(this.pos);
      if (c === 0x3c) break; // <
      if (c === 0x26) { // &
        if (!inside) return 'text outside the root element';
        this.appendText(this.src.slice(run, this.pos));
        const r = this.reference();
        if ('error' in r) return r.error;
        this.appendText(r.text);
        run = this.pos;
        continue;
      }
      if (!inside && !isSpace(c)) return 'text outside the root element';
      if (c === 0x5d && this.startsWith(']]>')) return ']]> in text';
      this.pos++;
    }
    if (this.pos > run) this.appendText(this.src.slice(run, this.pos));
    return undefined;
  }

  /** Markup starting with '<' at pos. */
  markup(): string | undefined {
    if (this.startsWith('<!--')) return this.comment();
    if (this.startsWith('<![CDATA[')) return this.cdata();
    if (this.startsWith('<!DOCTYPE')) return 'DTDs are not allowed';
    if (this.startsWith('<!')) return 'malformed markup';
    if (this.startsWith('<?')) return 'processing instructions are not allowed';
    if (this.startsWith('</')) return this.endTag();
    return this.startTag();
  }

  comment(): string | undefined {
    const end = this.src.indexOf('--', this.pos + 4);
    if (end < 0) return 'unterminated comment';
    if (this.src[end + 2] !== '>') return '-- in a comment';
    this.pos = end + 3;
    return undefined;
  }

  cdata(): string | undefined {
    if (this.stack.length === 0) return 'CDATA outside the root element';
    const from = this.pos + 9;
    const end = this.src.indexOf(']]>', from);
    if (end < 0) return 'unterminated CDATA section';
    this.appendText(this.src.slice(from, end));
    this.pos = end + 3;
    return undefined;
  }

  endTag(): string | undefined {
    this.pos += 2;
    const qname = this.name();
    this.skipSpace();
    if (this.src[this.pos] !== '>') return 'malformed end tag';
    this.pos++;
    const top = this.stack.pop();
    if (top?.qname !== qname) return 'end tag does not match the start tag';
    this.closed(top.element);
    return undefined;
  }

  closed(element: XmlElement): void {
    const parent = this.stack.at(-1);
    if (parent === undefined) this.root = element;
    else parent.element.children.push(element);
  }

  startTag(): string | undefined {
    if (this.root !== undefined) return 'more than one root element';
    this.pos++;
    const qname = this.name();
    if (qname === '') return 'malformed start tag';
    const raw: [string, string][] = [];
    for (;;) {
      const spaced = this.skipSpace();
      if (this.startsWith('/>') || this.startsWith('>')) break;
      if (this.pos >= this.src.length) return 'unterminated start tag';
      const attrName = spaced ? this.name() : '';
      if (attrName === '') return 'malformed start tag';
      this.skipSpace();
      if (this.src[this.pos] !== '=') return 'malformed attribute';
      this.pos++;
      this.skipSpace();
      const v = this.attrValue();
      if ('error' in v) return v.error;
      if (raw.some(([n]) => n === attrName)) return 'duplicate attribute';
      raw.push([attrName, v.text]);
    }
    const selfClosing = this.src[this.pos] === '/';
    this.pos += selfClosing ? 2 : 1;

    if (++this.elements > this.limits.maxElements) return 'too many elements';
    if (this.stack.length + 1 > this.limits.maxDepth) return 'elements nested too deep';
    const parentScope = this.stack.at(-1)?.scope ?? ROOT_SCOPE;
    const scope = declarations(raw, parentScope);
    if (typeof scope === 'string') return scope;
    const element = resolve(qname, raw, scope);
    if (typeof element === 'string') return element;
    if (selfClosing) this.closed(element);
    else this.stack.push({ qname, scope, element });
    return undefined;
  }

  /** The XML declaration (§2.8), when the document starts with one. */
  declaration(): string | undefined {
    if (!(this.startsWith('<?xml') && isSpace(this.src.charCodeAt(this.pos + 5)))) return undefined;
    this.pos += 5;
    const pseudo: [string, string][] = [];
    for (;;) {
      const spaced = this.skipSpace();
      if (this.startsWith('?>')) break;
      const n = spaced ? this.name() : '';
      if (n === '') return 'malformed XML declaration';
      this.skipSpace();
      if (this.src[this.pos] !== '=') return 'malformed XML declaration';
      this.pos++;
      this.skipSpace();
      const q = this.src[this.pos];
      const end = q === '"' || q === "'" ? this.src.indexOf(q, this.pos + 1) : -1;
      if (end < 0) return 'malformed XML declaration';
      pseudo.push([n, this.src.slice(this.pos + 1, end)]);
      this.pos = end + 1;
    }
    this.pos += 2;
    const names = pseudo.map(([n]) => n).join(' ');
    if (!['version', 'version encoding', 'version standalone', 'version encoding standalone'].includes(names)) return 'malformed XML declaration';
    const values = new Map(pseudo);
    if (values.get('version') !== '1.0') return 'only XML version 1.0 is read';
    const encoding = values.get('encoding')?.toLowerCase();
    if (encoding !== undefined && encoding !== 'utf-8' && encoding !== 'us-ascii') return 'only UTF-8 documents are read';
    const standalone = values.get('standalone');
    if (standalone !== undefined && standalone !== 'yes' && standalone !== 'no') return 'malformed XML declaration';
    return undefined;
  }

  document(): string | undefined {
    if (this.src.charCodeAt(0) === 0xfeff) this.pos = 1;
    const decl = this.declaration();
    if (decl !== undefined) return decl;
    while (this.pos < this.src.length) {
      const err = this.src[this.pos] === '<' ? this.markup() : this.text();
      if (err !== undefined) return err;
    }
    if (this.stack.length > 0) return 'unclosed element';
    if (this.root === undefined) return 'no root element';
    return undefined;
  }
}

/** Split a QName into prefix and local part; undefined when it is not a QName (NS §3). */
function splitQName(qname: string): [string, string] | undefined {
  const colon = qname.indexOf(':');
  if (colon < 0) return ['', qname];
  const local = qname.slice(colon + 1);
  if (colon === 0 || local === '' || local.includes(':') || !isNameStart(local.codePointAt(0) as number)) return undefined;
  return [qname.slice(0, colon), local];
}

/** The scope an element's xmlns / xmlns:p attributes open (NS §3, with its reserved names). */
function declarations(raw: readonly [string, string][], parent: Scope): Scope | string {
  let bindings: Map<string, string> | undefined;
  for (const [name, value] of raw) {
    const q = splitQName(name);
    let prefix: string;
    if (q?.[0] === '' && q[1] === 'xmlns') prefix = '';
    else if (q?.[0] === 'xmlns') prefix = q[1];
    else continue;
    if (prefix === 'xmlns' || value === XMLNS_NS) return 'the xmlns prefix and namespace are reserved';
    if ((prefix === 'xml') !== (value === XML_NS)) return 'the xml prefix and namespace are reserved';
    if (prefix !== '' && value === '') return 'a prefix cannot be undeclared in XML 1.0';
    (bindings ??= new Map()).set(prefix, value);
  }
  return bindings === undefined ? parent : { parent, bindings };
}

/** The element with expanded names (see the header for the representation). */
function resolve(qname: string, raw: readonly [string, string][], scope: Scope): Frame['element'] | string {
  const split = splitQName(qname);
  if (split === undefined) return 'malformed element name';
  const [prefix, local] = split;
  if (prefix === 'xmlns') return 'the xmlns prefix and namespace are reserved';
  const ns = lookup(scope, prefix);
  if (prefix !== '' && ns === undefined) return 'undeclared namespace prefix';
  const attrs: Record<string, string> = {};
  if (ns !== undefined && ns !== '') attrs.xmlns = ns;
  const seen = new Set<string>();
  for (const [name, value] of raw) {
    const a = splitQName(name);
    if (a === undefined) return 'malformed attribute name';
    if (a[0] === 'xmlns' || (a[0] === '' && a[1] === 'xmlns')) continue;
    let key = a[1];
    if (a[0] !== '') {
      const uri = lookup(scope, a[0]);
      if (uri === undefined) return 'undeclared namespace prefix';
      key = uri === XML_NS ? `xml:${a[1]}` : `{${uri}}${a[1]}`;
    }
    if (seen.has(key)) return 'duplicate attribute';
    seen.add(key);
    attrs[key] = value;
  }
  return { name: local, attrs, children: [] };
}

// ---------------------------------------------------------------------------------------------

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Parse one XML document (text, or UTF-8 bytes with an optional BOM) into an element tree.
 * Refuses, with `bad-request`, anything malformed, any DTD or entity other than the predefined
 * five, any processing instruction, and documents over the limits (DEFAULT_XML_LIMITS).
 */
export function parseXml(input: string | Uint8Array, limits: XmlLimits = {}): ParseResult {
  const l: Required<XmlLimits> = { ...DEFAULT_XML_LIMITS, ...limits };
  let text: string;
  if (typeof input === 'string') {
    // A UTF-8 encoding is never shorter than the UTF-16 one: refuse a giant without scanning it.
    if (input.length > l.maxBytes) return refuse('document too large');
    text = input;
  } else {
    if (input.length > l.maxBytes) return refuse('document too large');
    try {
      text = strictUtf8.decode(input);
    } catch {
      return refuse('document is not valid UTF-8');
    }
  }
  const bytes = utf8LengthOfXmlText(text);
  if (bytes < 0) return refuse('a character XML does not allow');
  if (bytes > l.maxBytes) return refuse('document too large');
  // §2.11: CRLF and lone CR are read as LF.
  const scanner = new Scanner(text.replace(/\r\n?/gu, '\n'), l);
  const err = scanner.document();
  if (err !== undefined) return refuse(err);
  return ok(scanner.root as XmlElement);
}
