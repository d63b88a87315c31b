// Composition of presence documents (ours; RFC 3903 leaves the composition policy to the event
// state compositor, RFC 4479 §3.2 describes the model it works on). What a SIP watcher of an XMPP
// user sees is one document: the user's XMPP-derived presence (presence.ts) plus every document SIP
// publishers PUBLISHed for that user under an agreement granting `publish` (docs/presence.md).
// Pure, on the PIDF model (pidf.ts), so what a published document carries beyond the model
// (devices, extensions) is not composed.
//
//  - entity: the base document's (the presentity as the gateway names it), whatever a publisher wrote;
//  - tuples: the base's, then each published document's in the order given; every id stays
//    unique: a repeated id becomes id-2, id-3, … (the first one seen keeps its id);
//  - presence-level notes: all of them, base first (never drop the text);
//  - one <dm:person>: the activities of all (each once, base first) and the notes of all; its id
//    the first person's that has one.
import type { PidfDocument, PidfNote, PidfPerson, PidfTuple } from './pidf.ts';

/** `id` if not in `used`, else the first free of id-2, id-3, … */
export function uniqueTupleId(id: string, used: ReadonlySet<string>): string {
  if (!used.has(id)) return id;
  let n = 2;
  while (used.has(`${id}-${n}`)) n++;
  return `${id}-${n}`;
}

function composePerson(persons: readonly PidfPerson[]): PidfPerson | undefined {
  if (persons.length === 0) return undefined;
  const activities: string[] = [];
  const notes: PidfNote[] = [];
  let id: string | undefined;
  for (const p of persons) {
    id ??= p.id;
    for (const a of p.activities) if (!activities.includes(a)) activities.push(a);
    notes.push(...p.notes);
  }
  return { ...(id !== undefined && { id }), activities, notes };
}

/** The base document with the published ones composed in (see the header). */
export function composePidf(base: PidfDocument, published: readonly PidfDocument[]): PidfDocument {
  if (published.length === 0) return base;
  const used = new Set<string>();
  const tuples: PidfTuple[] = [];
  const notes: PidfNote[] = [];
  const persons: PidfPerson[] = [];
  for (const doc of [base, ...published]) {
    for (const t of doc.tuples) {
      const id = uniqueTupleId(t.id, used);
      used.add(id);
      tuples.push(id === t.id ? t : { ...t, id });
    }
    notes.push(...doc.notes);
    if (doc.person !== undefined) persons.push(doc.person);
  }
  const person = composePerson(persons);
  return { entity: base.entity, tuples, notes, ...(person !== undefined && { person }) };
}
