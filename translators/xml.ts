// A parsed XML element as plain data: what the XMPP edge reads from the wire and what the
// translators build. Serialising (and the XML 1.0 escaping rules) belongs to the XMPP edge.
export interface XmlElement {
  readonly name: string;
  readonly attrs: Readonly<Record<string, string>>;
  readonly children: readonly XmlNode[];
}
export type XmlNode = XmlElement | string;

export function el(name: string, attrs: Record<string, string | undefined> = {}, ...children: (XmlNode | undefined | null | false)[]): XmlElement {
  const clean: Record<string, string> = {};
  for (const [k, v] of Object.entries(attrs)) if (v !== undefined) clean[k] = v;
  return { name, attrs: clean, children: children.filter((c): c is XmlNode => c !== undefined && c !== null && c !== false) };
}

export function isElement(n: XmlNode): n is XmlElement {
  return typeof n !== 'string';
}

/** First child element with this name (and namespace, when given). */
export function child(e: XmlElement, name: string, xmlns?: string): XmlElement | undefined {
  for (const c of e.children) {
    if (typeof c !== 'string' && c.name === name && (xmlns === undefined || c.attrs.xmlns === xmlns)) return c;
  }
  return undefined;
}

export function children(e: XmlElement, name: string, xmlns?: string): XmlElement[] {
  return e.children.filter((c): c is XmlElement => typeof c !== 'string' && c.name === name && (xmlns === undefined || c.attrs.xmlns === xmlns));
}

/** Concatenated text content of the element's direct text children. */
export function text(e: XmlElement): string {
  let s = '';
  for (const c of e.children) if (typeof c === 'string') s += c;
  return s;
}
