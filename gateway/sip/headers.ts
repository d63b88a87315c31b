// An ordered list of header fields. Parsed fields keep byte offsets into the source buffer and are
// decoded only when read (most headers of a relayed message are never looked at), and written back
// byte for byte when unchanged.
import { headerKey, isListHeader } from './header-names.ts';
import { splitList } from './split-list.ts';

const FOLD = /[ \t]*\r\n[ \t]+/g;

export class SipHeaders {
  #src: Buffer | undefined;
  #keys: string[] = [];
  #names: string[] = [];
  #values: Array<string | undefined> = [];
  /** per field: start of line, start of value, end of value; -1 when the field was set by us. */
  #offsets: number[] = [];

  constructor(src?: Buffer) {
    this.#src = src;
  }

  /** Parser entry: a field whose name and value are byte ranges of the source buffer. */
  addRaw(name: string, lineStart: number, valueStart: number, valueEnd: number): void {
    this.#keys.push(headerKey(name));
    this.#names.push(name);
    this.#values.push(undefined);
    this.#offsets.push(lineStart, valueStart, valueEnd);
  }

  append(name: string, value: string): void {
    this.#keys.push(headerKey(name));
    this.#names.push(name);
    this.#values.push(value);
    this.#offsets.push(-1, -1, -1);
  }

  get size(): number { return this.#keys.length; }
  keyAt(i: number): string { return this.#keys[i] ?? ''; }
  nameAt(i: number): string { return this.#names[i] ?? ''; }

  valueAt(i: number): string {
    let v = this.#values[i];
    if (v === undefined) {
      const o = i * 3;
      const raw = (this.#src as Buffer).toString('utf8', this.#offsets[o + 1], this.#offsets[o + 2]);
      v = raw.includes('\n') ? raw.replace(FOLD, ' ') : raw;
      this.#values[i] = v;
    }
    return v;
  }

  /** The source line of an unchanged parsed field, for byte-exact serialization. */
  rawLine(i: number): [Buffer, number, number] | undefined {
    const o = i * 3;
    const start = this.#offsets[o] ?? -1;
    return start < 0 ? undefined : [this.#src as Buffer, start, this.#offsets[o + 2] as number];
  }

  setValueAt(i: number, value: string): void {
    this.#values[i] = value;
    this.#offsets[i * 3] = -1;
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
        for (const part of splitList(this.valueAt(i))) if (part !== '') out.push(part);
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
      this.#names.splice(i, 1);
      this.#values.splice(i, 1);
      this.#offsets.splice(i * 3, 3);
    }
  }
}
