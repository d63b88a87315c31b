// Builds XmlElement values from parser events for one top-level stanza at a time.
// Namespaces as Parley sees them: a stanza element carries no xmlns (it is whatever the stream
// says: jabber:component:accept on the wire, 'jabber:client' to the translators); a child carries
// xmlns when its namespace differs from its parent's (<error/>, <query/>, <ping/>), and only then.
// Element names are local names; prefix declarations (xmlns:foo) are kept as attributes.
import type { XmlElement, XmlNode } from '../../translators/xml.ts';

export interface OpenTag {
  readonly local: string;
  readonly uri: string;
  /** Attributes as written, by qualified name, including namespace declarations. */
  readonly attrs: Readonly<Record<string, string>>;
}

interface Open {
  readonly element: XmlElement & { children: XmlNode[] };
  readonly uri: string;
}

export interface Built {
  readonly element: XmlElement;
  /** The namespace the stanza element was in (stream errors are told apart by it). */
  readonly uri: string;
}

export class StanzaBuilder {
  readonly #stack: Open[] = [];

  /** Open elements of the current stanza: 0 between stanzas, 1 in the stanza element. */
  get depth(): number {
    return this.#stack.length;
  }

  open(tag: OpenTag): void {
    const parent = this.#stack.at(-1);
    const attrs: Record<string, string> = { ...tag.attrs };
    delete attrs.xmlns;
    if (parent !== undefined && tag.uri !== parent.uri) attrs.xmlns = tag.uri;
    const element = { name: tag.local, attrs, children: [] as XmlNode[] };
    if (parent !== undefined) parent.element.children.push(element);
    this.#stack.push({ element, uri: tag.uri });
  }

  /** Text inside the current stanza; text between stanzas (whitespace keepalives) is dropped. */
  text(s: string): void {
    const top = this.#stack.at(-1);
    if (top === undefined || s === '') return;
    const kids = top.element.children;
    const last = kids.at(-1);
    if (typeof last === 'string') kids[kids.length - 1] = last + s;
    else kids.push(s);
  }

  /** Close the current element; returns the stanza when its top-level element closes. */
  close(): Built | undefined {
    const done = this.#stack.pop();
    if (done === undefined || this.#stack.length > 0) return undefined;
    return { element: done.element, uri: done.uri };
  }
}
