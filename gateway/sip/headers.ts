// An ordered list of header fields. Parsed fields keep byte offsets into the source buffer and are
// decoded only when read (most headers of a relayed message are never looked at), and written back
// byte for byte when unchanged.
import type { ByteWriter } from './byte-writer.ts';
import { headerKey, isListHeader } from './header-names.ts';
import { splitList } from './split-list.ts';

const FOLD = /[ \t]*\r\n[ \t]+/g;

export class SipHeaders {
  #src: Buffer | undefined;
  #keys: string[] = [];
  /**
   * Decoded names and values by field index, undefined for a parsed field until read. Filled as
   * they are read rather than pushed for every field the parser adds (most are never read).
   */
  #names: Array<string | undefined> = [];
  #values: Array<string | undefined> = [];
  /**
   * per parsed field: start of line (= of name), end of name, start of value, end of value; the
   * value start is -1 once we changed the value; all -1 for a field we appended.
   */
  #offsets: number[] = [];

  /**
   * Parser entry (parser.ts): `keys[i]` is headerKey() of field i's name and `offsets[4i..4i+3]` are
   * the byte ranges of its name (from the start of its line) and value in `src`; both arrays are
   * the fields' own, of their exact size (they are held as long as the message).
   */
  constructor(src?: Buffer, keys?: string[], offsets?: number[]) {
    this.#src = src;
    if (keys !== undefined && offsets !== undefined) {
      this.#keys = keys;
      this.#offsets = offsets;
      // Most values of a request are read (Via, From, To, Call-ID, CSeq, ...): room for all at
      // once rather than regrowth as they are read out of order.
      this.#values = new Array<string | undefined>(keys.length);
    }
  }

  append(name: string, value: string): void {
    const i = this.#keys.length;
    this.#keys.push(headerKey(name));
    this.#names[i] = name;
    this.#values[i] = value;
    this.#offsets.push(-1, -1, -1, -1);
  }

  get size(): number { return this.#keys.length; }
  keyAt(i: number): string { return this.#keys[i] ?? ''; }

  nameAt(i: number): string {
    if (i < 0 || i >= this.#keys.length) return '';
    let n = this.#names[i];
    if (n === undefined) {
      const o = i * 4;
      n = (this.#src as Buffer).toString('latin1', this.#offsets[o], this.#offsets[o + 1]);
      this.#names[i] = n;
    }
    return n;
  }

  valueAt(i: number): string {
    let v = this.#values[i];
    if (v === undefined) {
      const o = i * 4;
      const raw = (this.#src as Buffer).toString('utf8', this.#offsets[o + 2], this.#offsets[o + 3]);
      v = raw.includes('\n') ? raw.replace(FOLD, ' ') : raw;
      this.#values[i] = v;
    }
    return v;
  }

  /**
   * valueAt(i) in UTF-8, onto w: the received bytes themselves when the value is unchanged and on
   * one line (no string is made), else the decoded value.
   */
  writeValue(i: number, w: ByteWriter): void {
    const o = i * 4;
    const start = this.#offsets[o + 2] as number;
    if (start >= 0) {
      const src = this.#src as Buffer;
      const end = this.#offsets[o + 3] as number;
      let p = start;
      while (p < end && src[p] !== 0x0d) p++;
      if (p === end) {
        w.bytes(src, start, end);
        return;
      }
    }
    w.text(this.valueAt(i));
  }

  /** The source line of an unchanged parsed field, for byte-exact serialization. */
  rawLine(i: number): [Buffer, number, number] | undefined {
    const o = i * 4;
    return (this.#offsets[o + 2] ?? -1) < 0 ? undefined : [this.#src as Buffer, this.#offsets[o] as number, this.#offsets[o + 3] as number];
  }

  setValueAt(i: number, value: string): void {
    this.#values[i] = value;
    this.#offsets[i * 4 + 2] = -1;
  }

  indexOf(name: string, from = 0): number {
    return this.#keys.indexOf(headerKey(name), from);
  }

  count(name: string): number {
    const key = headerKey(name);
    let n = 0;
    for (const k of this.#keys) if (k === key) n++;
    return n;
  }

  /** The first field value, whole (not split on commas). */
  first(name: string): string | undefined {
    const i = this.indexOf(name);
    return i < 0 ? undefined : this.valueAt(i);
  }

  /** Every value: fields in order, list headers split on their commas (respecting quotes and <>). */
  all(name: string): string[] {
    const key = headerKey(name);
    const split = isListHeader(key);
    const out: string[] = [];
    for (let i = 0; i < this.#keys.length; i++) {
      if (this.#keys[i] !== key) continue;
      if (split) {
        const v = this.valueAt(i);
        // One value per field is the usual case: no list to split (a value has no LWS around it).
        if (!v.includes(',')) {
          if (v !== '') out.push(v);
        } else {
          for (const part of splitList(v)) if (part !== '') out.push(part);
        }
      } else {
        out.push(this.valueAt(i));
      }
    }
    return out;
  }

  /** Field values of one header, not split. */
  fields(name: string): string[] {
    const key = headerKey(name);
    const out: string[] = [];
    for (let i = 0; i < this.#keys.length; i++) if (this.#keys[i] === key) out.push(this.valueAt(i));
    return out;
  }

  remove(name: string): void {
    const key = headerKey(name);
    for (let i = this.#keys.length - 1; i >= 0; i--) {
      if (this.#keys[i] !== key) continue;
      this.#keys.splice(i, 1);
      // The decoded arrays may be shorter than #keys: nothing to shift past their end.
      if (i < this.#names.length) this.#names.splice(i, 1);
      if (i < this.#values.length) this.#values.splice(i, 1);
      this.#offsets.splice(i * 4, 4);
    }
  }
}
