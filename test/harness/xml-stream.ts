// An XMPP stream reader (RFC 6120 §4): bytes in, the stream header's attributes and each top-level
// element (stanza, features, SASL nonza) out as plain XmlElement data. Bytes are decoded with a
// streaming TextDecoder, so a UTF-8 sequence split across TCP segments is decoded correctly.
import { SaxesParser } from 'saxes';
import type { XmlElement, XmlNode } from '../../translators/xml.ts';

export interface StreamEvents {
  onOpen(attrs: Record<string, string>): void;
  onElement(el: XmlElement): void;
  onClose(): void;
  onError(err: Error): void;
}

export interface StreamReader {
  write(chunk: Uint8Array): void;
}

interface Building {
  name: string;
  attrs: Record<string, string>;
  children: XmlNode[];
}

export function createStreamReader(ev: StreamEvents): StreamReader {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  const parser = new SaxesParser({ xmlns: false });
  const stack: Building[] = [];
  let depth = 0;
  let failed = false;

  const appendText = (t: string): void => {
    const top = stack[stack.length - 1];
    if (!top) return; // whitespace keepalives between stanzas
    const last = top.children[top.children.length - 1];
    if (typeof last === 'string') top.children[top.children.length - 1] = last + t;
    else top.children.push(t);
  };

  parser.on('opentag', (tag) => {
    depth++;
    const attrs: Record<string, string> = { ...tag.attributes };
    if (depth === 1) {
      ev.onOpen(attrs);
      return;
    }
    stack.push({ name: tag.name, attrs, children: [] });
  });
  parser.on('closetag', () => {
    depth--;
    if (depth === 0) {
      ev.onClose();
      return;
    }
    const done = stack.pop();
    if (!done) return;
    const parent = stack[stack.length - 1];
    if (parent) parent.children.push(done);
    else ev.onElement(done);
  });
  parser.on('text', appendText);
  parser.on('cdata', appendText);
  parser.on('error', (err) => {
    failed = true;
    ev.onError(err);
  });

  return {
    write(chunk) {
      if (failed) return;
      try {
        parser.write(decoder.decode(chunk, { stream: true }));
      } catch (err) {
        failed = true;
        ev.onError(err instanceof Error ? err : new Error(String(err)));
      }
    },
  };
}
