// XmlElement → XML text for the harness's own clients (the gateway has its own writer in the XMPP
// edge). Text and attribute values are escaped per XML 1.0 §2.4 and §3.1.
import type { XmlElement, XmlNode } from '../../translators/xml.ts';

export function escapeText(s: string): string {
  // A raw CR would be normalised away by the receiving parser (XML 1.0 §2.11): write it as a reference.
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/\r/g, '&#13;');
}

export function escapeAttr(s: string): string {
  return escapeText(s).replace(/"/g, '&quot;').replace(/'/g, '&apos;').replace(/\t/g, '&#9;').replace(/\n/g, '&#10;').replace(/\r/g, '&#13;');
}

export function serialize(node: XmlNode): string {
  if (typeof node === 'string') return escapeText(node);
  let s = `<${node.name}`;
  for (const [k, v] of Object.entries(node.attrs)) s += ` ${k}="${escapeAttr(v)}"`;
  if (node.children.length === 0) return s + '/>';
  s += '>';
  for (const c of node.children) s += serialize(c);
  return s + `</${node.name}>`;
}

export type Writable = string | XmlElement;

export function toXml(x: Writable): string {
  return typeof x === 'string' ? x : serialize(x);
}
