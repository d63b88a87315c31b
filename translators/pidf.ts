// PIDF (RFC 3863) with the data model's <person> (RFC 4479) and RPID activities (RFC 4480):
// documents ↔ a small model. What the gateway maps (MAPPINGS §4) is in the model; everything else
// a document may carry (devices, moods, places, extensions of other namespaces) is read past.
//
// Reading is strict about what PIDF requires (a <presence entity>, tuples with an id and a
// <status>, basic open|closed, priorities that are qvalues) and tolerant of what it leaves open:
//  - note text is kept exactly as sent (no trimming); a note with no text at all is dropped;
//  - a note's language is its xml:lang or the nearest ancestor's (XML 1.0 §2.12);
//  - token values (basic, contact URI, priority, timestamp) are read trimmed (ours);
//  - several <dm:person> elements are merged into one: activities and notes of all (ours);
//  - a person's notes are its <dm:note>s, and also <rpid:note> / pidf <note> children, and the
//    <rpid:note>s inside <rpid:activities> (ours: never drop the text);
//  - text directly inside <rpid:activities> (Kamailio's pua writes `<rpid:away/>away`) is ignored.

import { gatewayError, type GatewayError } from './errors.ts';
import { fail, ok, type Result } from './result.ts';
import { parseXml, type XmlLimits } from './xml-parse.ts';
import { el, isElement, text, type XmlElement } from './xml.ts';

export const PIDF_NS = 'urn:ietf:params:xml:ns:pidf';
export const DM_NS = 'urn:ietf:params:xml:ns:pidf:data-model';
export const RPID_NS = 'urn:ietf:params:xml:ns:pidf:rpid';

export interface PidfNote {
  readonly text: string;
  readonly lang?: string;
}

export interface PidfContact {
  readonly uri: string;
  /** 0..1 (a qvalue). */
  readonly priority?: number;
}

export type PidfBasic = 'open' | 'closed';

export interface PidfTuple {
  readonly id: string;
  /** Absent when <status> has no <basic> (RFC 3863 §4.1.4 makes it optional). */
  readonly basic?: PidfBasic;
  readonly contact?: PidfContact;
  readonly notes: readonly PidfNote[];
  readonly timestamp?: string;
}

export interface PidfPerson {
  readonly id?: string;
  /** RPID activity element names (`away`, `busy`, `on-the-phone`, `other`, …), in document order. */
  readonly activities: readonly string[];
  readonly notes: readonly PidfNote[];
}

export interface PidfDocument {
  readonly entity: string;
  readonly tuples: readonly PidfTuple[];
  /** Notes of the whole presentity (children of <presence>). */
  readonly notes: readonly PidfNote[];
  readonly person?: PidfPerson;
}

type PidfResult<T> = Result<T, GatewayError>;

function invalid(detail: string): { readonly ok: false; readonly error: GatewayError } {
  return fail(gatewayError('bad-request', `PIDF: ${detail}`));
}

// ---------------------------------------------------------------------------------------------
// Reading

function elementsOf(e: XmlElement): XmlElement[] {
  return e.children.filter(isElement);
}

function is(e: XmlElement, name: string, ns: string): boolean {
  return e.name === name && e.attrs.xmlns === ns;
}

/** The element's language: its own xml:lang, else the inherited one; '' means none (§2.12). */
function langOf(e: XmlElement, inherited: string | undefined): string | undefined {
  const l = e.attrs['xml:lang'] ?? inherited;
  return l === '' ? undefined : l;
}

function note(e: XmlElement, inherited: string | undefined): PidfNote | undefined {
  const t = text(e);
  if (t === '') return undefined;
  const lang = langOf(e, inherited);
  return lang === undefined ? { text: t } : { text: t, lang };
}

function pushNote(notes: PidfNote[], e: XmlElement, inherited: string | undefined): void {
  const n = note(e, inherited);
  if (n !== undefined) notes.push(n);
}

// qvalue (RFC 3863 schema, as RFC 3261 §25.1): 0, 0.x, 0.xx, 0.xxx, 1, 1.0, 1.00, 1.000.
const QVALUE = /^(?:0(?:\.[0-9]{0,3})?|1(?:\.0{0,3})?)$/u;

function tuple(e: XmlElement, inherited: string | undefined): PidfResult<PidfTuple> {
  const id = e.attrs.id;
  if (id === undefined || id === '') return invalid('a tuple has no id');
  const lang = langOf(e, inherited);
  let status: XmlElement | undefined;
  let contact: PidfContact | undefined;
  let timestamp: string | undefined;
  const notes: PidfNote[] = [];
  for (const c of elementsOf(e)) {
    if (c.attrs.xmlns !== PIDF_NS) continue;
    if (c.name === 'status') status ??= c;
    else if (c.name === 'note') pushNote(notes, c, lang);
    else if (c.name === 'timestamp') timestamp ??= text(c).trim();
    else if (c.name === 'contact' && contact === undefined) {
      const p = c.attrs.priority?.trim();
      if (p !== undefined && !QVALUE.test(p)) return invalid('a contact priority is not a qvalue');
      const uri = text(c).trim();
      contact = p === undefined ? { uri } : { uri, priority: Number(p) };
    }
  }
  if (status === undefined) return invalid('a tuple has no status');
  const basicEl = elementsOf(status).find((c) => is(c, 'basic', PIDF_NS));
  const basic = basicEl === undefined ? undefined : text(basicEl).trim();
  if (basic !== undefined && basic !== 'open' && basic !== 'closed') return invalid('basic is neither open nor closed');
  return ok({
    id,
    ...(basic !== undefined && { basic }),
    ...(contact !== undefined && { contact }),
    notes,
    ...(timestamp !== undefined && { timestamp }),
  });
}

const PERSON_NOTE_NAMESPACES = new Set([DM_NS, RPID_NS, PIDF_NS]);

function readPerson(e: XmlElement, inherited: string | undefined, activities: string[], notes: PidfNote[]): void {
  const lang = langOf(e, inherited);
  for (const c of elementsOf(e)) {
    if (c.name === 'note' && PERSON_NOTE_NAMESPACES.has(c.attrs.xmlns ?? '')) pushNote(notes, c, lang);
    else if (is(c, 'activities', RPID_NS)) {
      const activitiesLang = langOf(c, lang);
      for (const a of elementsOf(c)) {
        if (a.attrs.xmlns !== RPID_NS) continue; // extension activities of other namespaces
        if (a.name === 'note') pushNote(notes, a, activitiesLang);
        else if (!activities.includes(a.name)) activities.push(a.name);
      }
    }
  }
}

/**
 * A PIDF document (a parsed tree, or its text or UTF-8 bytes) as the model. Refusals are
 * `bad-request` with a fixed detail.
 */
export function parsePidf(input: XmlElement | string | Uint8Array, limits?: XmlLimits): PidfResult<PidfDocument> {
  let root: XmlElement;
  if (typeof input === 'string' || input instanceof Uint8Array) {
    const parsed = parseXml(input, limits);
    if (!parsed.ok) return parsed;
    root = parsed.value;
  } else {
    root = input;
  }
  if (!is(root, 'presence', PIDF_NS)) return invalid('the document is not a PIDF <presence>');
  const entity = root.attrs.entity?.trim();
  if (entity === undefined || entity === '') return invalid('<presence> has no entity');
  const lang = langOf(root, undefined);
  const tuples: PidfTuple[] = [];
  const notes: PidfNote[] = [];
  const activities: string[] = [];
  const personNotes: PidfNote[] = [];
  let personId: string | undefined;
  let persons = 0;
  for (const c of elementsOf(root)) {
    if (is(c, 'tuple', PIDF_NS)) {
      const t = tuple(c, lang);
      if (!t.ok) return t;
      if (tuples.some((u) => u.id === t.value.id)) return invalid('two tuples have the same id');
      tuples.push(t.value);
    } else if (is(c, 'note', PIDF_NS)) {
      pushNote(notes, c, lang);
    } else if (is(c, 'person', DM_NS)) {
      persons++;
      personId ??= c.attrs.id;
      readPerson(c, lang, activities, personNotes);
    }
  }
  const person: PidfPerson | undefined = persons === 0 ? undefined : { ...(personId !== undefined && { id: personId }), activities, notes: personNotes };
  return ok({ entity, tuples, notes, ...(person !== undefined && { person }) });
}

// ---------------------------------------------------------------------------------------------
// Building

/** A priority as a qvalue string: clamped to 0..1, at most 3 decimals, no trailing zeros (ours). */
export function formatQvalue(q: number): string {
  const clamped = Math.min(1, Math.max(0, q));
  return clamped.toFixed(3).replace(/\.?0+$/u, '');
}

function noteElement(n: PidfNote, ns: string): XmlElement {
  return el('note', { xmlns: ns, 'xml:lang': n.lang }, n.text);
}

/** The default id of the <dm:person> when the model names none (ours; any XML ID would do). */
export const DEFAULT_PERSON_ID = 'person';

/**
 * The model as a PIDF document. Every element carries its namespace in `xmlns` (the same form
 * parseXml reads), in the order the schemas give: tuple (status, contact, note*, timestamp),
 * presence notes, then <dm:person> (rpid:activities, dm:note*). A person with neither activities
 * nor notes is left out.
 */
export function buildPidf(doc: PidfDocument): XmlElement {
  const p = PIDF_NS;
  const tuples = doc.tuples.map((t) =>
    el(
      'tuple',
      { xmlns: p, id: t.id },
      el('status', { xmlns: p }, t.basic !== undefined && el('basic', { xmlns: p }, t.basic)),
      t.contact !== undefined && el('contact', { xmlns: p, priority: t.contact.priority === undefined ? undefined : formatQvalue(t.contact.priority) }, t.contact.uri),
      ...t.notes.map((n) => noteElement(n, p)),
      t.timestamp !== undefined && el('timestamp', { xmlns: p }, t.timestamp),
    ),
  );
  const person = doc.person;
  const personEl = person !== undefined && (person.activities.length > 0 || person.notes.length > 0)
    && el(
      'person',
      { xmlns: DM_NS, id: person.id ?? DEFAULT_PERSON_ID },
      person.activities.length > 0 && el('activities', { xmlns: RPID_NS }, ...person.activities.map((a) => el(a, { xmlns: RPID_NS }))),
      ...person.notes.map((n) => noteElement(n, DM_NS)),
    );
  return el('presence', { xmlns: p, entity: doc.entity }, ...tuples, ...doc.notes.map((n) => noteElement(n, p)), personEl);
}
