// Presence, XMPP <presence> ↔ PIDF/RPID (RFC 8048, RFC 3863, RFC 4480; MAPPINGS §4).
//
// XMPP → PIDF: the presence of each available resource is one tuple, its id `SID-` + hex of the
// resource's UTF-8 (a valid XML ID whatever the resource; SylkServer's practice) (ours). The show
// of the most available resource becomes the RPID activity of the one <dm:person>. Every status,
// in every language, becomes a note: the text is never dropped.
// PIDF → XMPP: one <presence> per tuple, from the resource the tuple id names.
//
// A NOTIFY without a body carries no state: it means "no change" (keep the last known presence)
// (ours). That is the caller's to handle; these functions only ever see a document.
// The show ↔ activity rows follow SylkServer's practice (ours), not RFC text.

import { resourceFromGr, sipInstanceFromResource } from './address.ts';
import type { GatewayError } from './errors.ts';
import { resourcepartProfile } from './jid.ts';
import { buildPidf, parsePidf, type PidfDocument, type PidfNote, type PidfTuple } from './pidf.ts';
import { ok, type Result } from './result.ts';
import type { XmlLimits } from './xml-parse.ts';
import { el, type XmlElement } from './xml.ts';

export type XmppShow = 'away' | 'chat' | 'dnd' | 'xa';

export interface XmppStatus {
  readonly lang?: string;
  readonly text: string;
}

export interface XmppResourcePresence {
  readonly resource: string;
  readonly available: boolean;
  readonly show?: XmppShow;
  readonly statuses: readonly XmppStatus[];
  /** XMPP priority, -128..127. */
  readonly priority?: number;
  /** The SIP contact of this resource (a URI with `gr`); derived from the entity when absent. */
  readonly contact?: string;
}

export interface XmppPresenceState {
  /** The pres: or sip: URI of the XMPP user as seen from SIP. */
  readonly entity: string;
  readonly resources: readonly XmppResourcePresence[];
  /** An RFC 3339 time for the tuples' <timestamp> (time arrives as an argument). */
  readonly now?: string;
}

// ---------------------------------------------------------------------------------------------
// The tables (data; one test per row)

/** XMPP show → RPID activity ('none' is available without <show>). undefined: no activity. */
export const SHOW_TO_ACTIVITY: readonly (readonly [XmppShow | 'none', string | undefined])[] = [
  ['none', undefined],
  ['chat', undefined],
  ['away', 'away'],
  ['xa', 'away'], // extended away has no RPID twin
  ['dnd', 'busy'],
];

/** RPID activity → XMPP show. Activities not listed give no show. */
export const ACTIVITY_TO_SHOW: readonly (readonly [string, XmppShow])[] = [
  ['busy', 'dnd'],
  ['on-the-phone', 'dnd'],
  ['meeting', 'dnd'],
  ['away', 'away'],
  ['steering', 'away'],
  ['appointment', 'away'],
  ['vacation', 'xa'],
  ['holiday', 'xa'],
];

/** When a person has several mapped activities, the first show in this list wins (ours). */
export const SHOW_PRECEDENCE: readonly XmppShow[] = ['dnd', 'xa', 'away'];

/** Most available first: the person's activity comes from the first resource in this order (ours). */
export const AVAILABILITY_ORDER: readonly (XmppShow | 'none')[] = ['chat', 'none', 'away', 'xa', 'dnd'];

/** The tuple id when no resource is available and none is known at all (ours). */
export const OFFLINE_TUPLE_ID = 'offline';

const TUPLE_PREFIX = 'SID-';

// ---------------------------------------------------------------------------------------------
// Pieces

/** A resource as a tuple id: `SID-` + lowercase hex of its UTF-8 (ours). */
export function tupleIdForResource(resource: string): string {
  return TUPLE_PREFIX + sipInstanceFromResource(resource);
}

/**
 * The XMPP resource a tuple id names: the SID-hex form decoded, else the id as it is (?), when
 * that is a valid resourcepart; undefined otherwise.
 */
export function resourceForTupleId(id: string): string | undefined {
  if (id.startsWith(TUPLE_PREFIX)) {
    const decoded = resourceFromGr(id.slice(TUPLE_PREFIX.length));
    if (decoded.ok) return decoded.value;
  }
  const r = resourcepartProfile(id);
  return r.ok ? r.value : undefined;
}

/** XMPP priority → contact priority: p/127 to 3 decimals; p < 0 → 0; above 127 → 1 (ours). */
export function priorityToQvalue(priority: number): number {
  const clamped = Math.min(127, Math.max(0, priority));
  return Math.round((clamped / 127) * 1000) / 1000;
}

/** Contact priority → XMPP priority: round(q × 127) (ours). */
export function qvalueToPriority(q: number): number {
  return Math.round(q * 127);
}

/** The RPID activity for a show (undefined for none and chat). */
export function activityForShow(show: XmppShow | undefined): string | undefined {
  return SHOW_TO_ACTIVITY.find(([s]) => s === (show ?? 'none'))?.[1];
}

/** The show for a set of activities: the mapped one first in SHOW_PRECEDENCE, else none. */
export function showForActivities(activities: readonly string[]): XmppShow | undefined {
  const shows = new Set(ACTIVITY_TO_SHOW.filter(([a]) => activities.includes(a)).map(([, s]) => s));
  return SHOW_PRECEDENCE.find((s) => shows.has(s));
}

function availabilityRank(r: XmppResourcePresence): number {
  return AVAILABILITY_ORDER.indexOf(r.show ?? 'none');
}

/** The most available resource: by AVAILABILITY_ORDER, then the highest priority, then the first listed. */
export function mostAvailable(resources: readonly XmppResourcePresence[]): XmppResourcePresence | undefined {
  let best: XmppResourcePresence | undefined;
  for (const r of resources) {
    if (best === undefined) {
      best = r;
      continue;
    }
    const d = availabilityRank(r) - availabilityRank(best);
    if (d < 0 || (d === 0 && (r.priority ?? 0) > (best.priority ?? 0))) best = r;
  }
  return best;
}

/** sip:/sips: entity without parameters → entity;gr=hex (RFC 5627); else none (ours). */
function derivedContact(entity: string, resource: string): string | undefined {
  if (!/^sips?:[^;?]+$/iu.test(entity)) return undefined;
  return `${entity};gr=${sipInstanceFromResource(resource)}`;
}

function notesOf(r: XmppResourcePresence): PidfNote[] {
  // An empty <status/> says nothing; every other one crosses, in its language.
  return r.statuses.filter((s) => s.text !== '').map((s) => (s.lang === undefined || s.lang === '' ? { text: s.text } : { text: s.text, lang: s.lang }));
}

// ---------------------------------------------------------------------------------------------
// XMPP → PIDF

/** The PIDF model of an XMPP user's presence (see the header). */
export function xmppPresenceToPidfModel(input: XmppPresenceState): PidfDocument {
  const stamp = input.now !== undefined ? { timestamp: input.now } : {};
  const available = input.resources.filter((r) => r.available);
  if (available.length === 0) {
    // One closed tuple; the first listed resource gives its id, contact and notes (its
    // unavailable presence may carry a status: never drop the text) (ours).
    const first = input.resources[0];
    const contact = first === undefined ? undefined : (first.contact ?? derivedContact(input.entity, first.resource));
    const closed: PidfTuple = {
      id: first === undefined ? OFFLINE_TUPLE_ID : tupleIdForResource(first.resource),
      basic: 'closed',
      ...(contact !== undefined && { contact: { uri: contact } }),
      notes: first === undefined ? [] : notesOf(first),
      ...stamp,
    };
    return { entity: input.entity, tuples: [closed], notes: [] };
  }
  // Resources that went unavailable while others stay are left out: a full PIDF state names the
  // reachable devices (ours).
  const tuples = available.map((r): PidfTuple => {
    const uri = r.contact ?? derivedContact(input.entity, r.resource);
    const priority = r.priority === undefined ? undefined : priorityToQvalue(r.priority);
    return {
      id: tupleIdForResource(r.resource),
      basic: 'open',
      ...(uri !== undefined && { contact: priority === undefined ? { uri } : { uri, priority } }),
      notes: notesOf(r),
      ...stamp,
    };
  });
  const activity = activityForShow(mostAvailable(available)?.show);
  return {
    entity: input.entity,
    tuples,
    notes: [],
    ...(activity !== undefined && { person: { activities: [activity], notes: [] } }),
  };
}

/** The PIDF document (as an element tree) of an XMPP user's presence. */
export function xmppPresenceToPidf(input: XmppPresenceState): XmlElement {
  return buildPidf(xmppPresenceToPidfModel(input));
}

// ---------------------------------------------------------------------------------------------
// PIDF → XMPP

export interface PresenceAddressing {
  /** The bare JID of the SIP presentity as seen from XMPP. */
  readonly from: string;
  /** The XMPP watcher. */
  readonly to: string;
}

function statusElements(notes: readonly PidfNote[]): XmlElement[] {
  return notes.map((n) => el('status', { 'xml:lang': n.lang }, n.text));
}

/**
 * One <presence> per tuple of a PIDF document (tree, text or UTF-8 bytes): from the bare JID plus
 * the resource the tuple id names (the bare JID when it names none); closed → unavailable; open
 * (or no <basic> (?)) → available with the show of the person's activities and the contact
 * priority; statuses from the tuple's notes, else the person's, else the document's.
 * A document without tuples gives one unavailable presence from the bare JID (ours).
 */
export function pidfToXmppPresence(doc: XmlElement | string | Uint8Array, addr: PresenceAddressing, limits?: XmlLimits): Result<XmlElement[], GatewayError> {
  const parsed = parsePidf(doc, limits);
  if (!parsed.ok) return parsed;
  const pidf = parsed.value;
  const show = showForActivities(pidf.person?.activities ?? []);
  const fallbackNotes = pidf.person !== undefined && pidf.person.notes.length > 0 ? pidf.person.notes : pidf.notes;
  if (pidf.tuples.length === 0) {
    return ok([el('presence', { from: addr.from, to: addr.to, type: 'unavailable' }, ...statusElements(fallbackNotes))]);
  }
  return ok(pidf.tuples.map((t) => {
    const resource = resourceForTupleId(t.id);
    const from = resource === undefined ? addr.from : `${addr.from}/${resource}`;
    const notes = t.notes.length > 0 ? t.notes : fallbackNotes;
    if (t.basic === 'closed') return el('presence', { from, to: addr.to, type: 'unavailable' }, ...statusElements(notes));
    const priority = t.contact?.priority;
    return el(
      'presence',
      { from, to: addr.to },
      show !== undefined && el('show', {}, show),
      ...statusElements(notes),
      priority !== undefined && el('priority', {}, String(qvalueToPriority(priority))),
    );
  }));
}
