// XMPP addresses (RFC 7622): localpart@domainpart/resourcepart, each part at most 1023 bytes of
// UTF-8 once prepared.
//
// The PRECIS profiles are approximated in pure JavaScript (no Unicode data tables of our own).
// The approximation is meant to be SOUND: it may refuse a string PRECIS would accept, but it must
// never accept a string PRECIS refuses, nor map one differently.
//
// Localpart, UsernameCaseMapped (RFC 8265 §3.3, RFC 8264):
//   1. width mapping: the fullwidth/halfwidth forms (U+3000, U+FF01..U+FFEE) are replaced by
//      their NFKC form, which for these code points is exactly their <wide>/<narrow> decomposition;
//   2. case mapping: String.prototype.toLowerCase (Unicode default lowercase, as RFC 8265 asks);
//   3. normalisation: NFC;
//   4. IdentifierClass, per code point, in RFC 8264 §8 order: ASCII 0x21..0x7E is valid; the
//      DISALLOWED exceptions (U+0640, U+07FA, U+302E, U+302F, U+3031..U+3035, U+303B), old Hangul
//      conjoining jamo, default-ignorable code points and noncharacters are refused; a code point
//      whose NFKC form differs from itself (HasCompat) is refused; what remains is valid only when
//      its general category is Ll, Lu, Lo, Lm, Nd, Mn or Mc (LetterDigits). Unassigned code points
//      (Cn in this engine's Unicode version), surrogates, controls, spaces, symbols and non-ASCII
//      punctuation therefore fall out. Simplifications, each refusing more than PRECIS: the
//      PVALID exceptions U+06FD, U+06FE, U+0F0B, U+3007 and every CONTEXTO/CONTEXTJ code point
//      (U+00B7, U+0375, U+05F3, U+05F4, U+30FB, ZWJ, ZWNJ) are refused, and Arabic-Indic digits
//      (U+0660..U+0669) may not be mixed with extended ones (U+06F0..U+06F9).
//   5. RFC 7622 §3.3.1 forbids " & ' / : < > @ in a localpart;
//   6. the Bidi Rule (RFC 5893) for a string holding right-to-left characters: JavaScript has no
//      Bidi_Class property, so a right-to-left letter is a letter of a right-to-left script (list
//      below), and such a string is accepted only when it starts with one, holds no other letter,
//      no Mc and no digit other than 0-9 / U+06F0..U+06F9 (EN) or U+0660..U+0669 (AN, never both),
//      and ends with a right-to-left letter or one of those digits (trailing Mn allowed). A letter
//      of a right-to-left script not listed is taken for left-to-right: that is the one place the
//      approximation could accept what PRECIS refuses (a string mixing it with Latin letters).
//
// Domainpart (RFC 7622 §3.2): a final dot is stripped; width mapping, lowercase, NFC; an IP literal
// in brackets, or dot-separated labels of letters, marks, digits and inner hyphens, each label at
// most 63 bytes. IDNA2008 conversion of A-labels to U-labels is NOT done: an A-label (xn--) stays as
// it is (both are accepted by XMPP servers; comparison of the two forms is not supported).
//
// Resourcepart, OpaqueString (RFC 8265 §4.2): non-ASCII spaces map to U+0020, NFC, then
// FreeformClass: letters, marks, numbers, punctuation, symbols and spaces; controls, format
// characters, private use, surrogates, unassigned code points, default-ignorable code points,
// noncharacters and old Hangul jamo are refused.

import { gatewayError, type GatewayError } from './errors.ts';
import { fail, ok, type Result } from './result.ts';
import { memoized } from './memo.ts';

export interface Jid {
  readonly local?: string;
  readonly domain: string;
  readonly resource?: string;
}

export const MAX_PART_BYTES = 1023;

/** Bytes of s in UTF-8 (a lone surrogate counts as the 3 bytes of U+FFFD, as TextEncoder writes it). */
export function utf8Length(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) continue;
    if (c < 0x800) n += 1;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      n += 2; // a pair: 2 UTF-16 units, 4 bytes
      i++;
    } else n += 2;
  }
  return n;
}

function malformed(detail: string): { readonly ok: false; readonly error: GatewayError } {
  return fail(gatewayError('address-malformed', detail));
}

// ---------------------------------------------------------------------------------------------
// Localpart

const WIDTH_FORMS = /[\u3000\uFF01-\uFFEE]/gu;
const LOCALPART_FORBIDDEN = new Set(['"', '&', "'", '/', ':', '<', '>', '@']);
const IDENTIFIER_DISALLOWED = new Set([0x0640, 0x07fa, 0x302e, 0x302f, 0x3031, 0x3032, 0x3033, 0x3034, 0x3035, 0x303b]);
const LETTER_DIGIT = /^[\p{Ll}\p{Lu}\p{Lo}\p{Lm}\p{Nd}\p{Mn}\p{Mc}]$/u;
const IGNORABLE = /^[\p{Default_Ignorable_Code_Point}\p{Noncharacter_Code_Point}]$/u;

/** The code point of a one-code-point string (as a string iterator yields them). */
function codePoint(c: string): number {
  return c.codePointAt(0) as number;
}

function isOldHangulJamo(cp: number): boolean {
  return (cp >= 0x1100 && cp <= 0x11ff) || (cp >= 0xa960 && cp <= 0xa97c) || (cp >= 0xd7b0 && cp <= 0xd7fb);
}

/** Width mapping (fullwidth/halfwidth → their decompositions). */
export function widthMap(s: string): string {
  return s.replace(WIDTH_FORMS, (c) => c.normalize('NFKC'));
}

/** The mapping half of UsernameCaseMapped: width map, lowercase, NFC. */
export function mapLocalpart(s: string): string {
  return widthMap(s).toLowerCase().normalize('NFC');
}

function identifierClassValid(c: string): boolean {
  const cp = codePoint(c);
  if (cp >= 0x21 && cp <= 0x7e) return true;
  if (IDENTIFIER_DISALLOWED.has(cp) || isOldHangulJamo(cp) || IGNORABLE.test(c)) return false;
  if (c.normalize('NFKC') !== c) return false;
  return LETTER_DIGIT.test(c);
}

/** The enforcement half of the localpart profile, on an already mapped string. */
export function checkLocalpart(s: string): Result<string, GatewayError> {
  if (s === '') return malformed('localpart is empty');
  for (const c of s) {
    if (LOCALPART_FORBIDDEN.has(c)) return malformed('localpart contains a character XMPP forbids');
    if (!identifierClassValid(c)) return malformed('localpart contains a character the XMPP localpart profile refuses');
  }
  if (/[\u0660-\u0669]/u.test(s) && /[\u06f0-\u06f9]/u.test(s)) return malformed('localpart mixes Arabic-Indic digit forms');
  if (!bidiRuleHolds(s)) return malformed('localpart breaks the bidi rule');
  if (utf8Length(s) > MAX_PART_BYTES) return malformed('localpart is longer than 1023 bytes');
  return ok(s);
}

/** UsernameCaseMapped, prepare and enforce: the canonical localpart, or why there is none. */
export function localpartProfile(s: string): Result<string, GatewayError> {
  return checkLocalpart(mapLocalpart(s));
}

// Scripts written right to left (Unicode 13 and before).
const RTL_LETTER = new RegExp(
  '^(?=\\p{L})[' +
    ['Hebrew', 'Arabic', 'Syriac', 'Thaana', 'Nko', 'Samaritan', 'Mandaic', 'Adlam', 'Hanifi_Rohingya',
      'Imperial_Aramaic', 'Phoenician', 'Kharoshthi', 'Old_South_Arabian', 'Old_North_Arabian', 'Avestan',
      'Inscriptional_Parthian', 'Inscriptional_Pahlavi', 'Psalter_Pahlavi', 'Old_Turkic', 'Cypriot', 'Lydian',
      'Nabataean', 'Palmyrene', 'Hatran', 'Manichaean', 'Mende_Kikakui', 'Meroitic_Cursive',
      'Meroitic_Hieroglyphs', 'Old_Hungarian', 'Old_Sogdian', 'Sogdian', 'Elymaic', 'Chorasmian', 'Yezidi']
      .map((s) => `\\p{Script=${s}}`).join('') +
    ']$',
  'u',
);
const EN_DIGIT = /^[0-9\u06f0-\u06f9]$/u;
const AN_DIGIT = /^[\u0660-\u0669]$/u;
const NSM = /^\p{Mn}$/u;
const ASCII_NEUTRAL = /^[\x21-\x2f\x3a-\x40\x5b-\x60\x7b-\x7e]$/u;

type BidiKind = 'R' | 'EN' | 'AN' | 'NSM' | 'neutral' | 'other';

function bidiKind(c: string): BidiKind {
  if (RTL_LETTER.test(c)) return 'R';
  if (EN_DIGIT.test(c)) return 'EN';
  if (AN_DIGIT.test(c)) return 'AN';
  if (NSM.test(c)) return 'NSM';
  if (ASCII_NEUTRAL.test(c)) return 'neutral';
  return 'other';
}

const ASCII = /^[\x00-\x7f]*$/;

function bidiRuleHolds(s: string): boolean {
  if (ASCII.test(s)) return true; // no right-to-left character (the common case, without a scan per character)
  const kinds = Array.from(s, bidiKind);
  if (!kinds.includes('R') && !kinds.includes('AN')) return true; // no right-to-left character
  if (kinds[0] !== 'R') return false; // rule 1
  if (kinds.includes('other')) return false; // rule 2
  let last = kinds.length - 1;
  while (kinds[last] === 'NSM') last--;
  const end = kinds[last];
  return end === 'R' || end === 'EN' || end === 'AN'; // rule 3 (rule 4 is the digit-mix check)
}

// ---------------------------------------------------------------------------------------------
// Domainpart

const DOMAIN_LABEL = /^[\p{Ll}\p{Lo}\p{Lm}\p{Nd}](?:[\p{Ll}\p{Lo}\p{Lm}\p{Nd}\p{Mn}\p{Mc}-]*[\p{Ll}\p{Lo}\p{Lm}\p{Nd}\p{Mn}\p{Mc}])?$/u;
const IP_LITERAL = /^\[[0-9a-f:.]+\]$/u;

/** The domainpart profile (prepare and enforce): the canonical domain, or why there is none. */
export const domainpartProfile: (s: string) => Result<string, GatewayError> = memoized(domainpartOf, 1024);

function domainpartOf(s: string): Result<string, GatewayError> {
  const d = widthMap(s.endsWith('.') ? s.slice(0, -1) : s).toLowerCase().normalize('NFC');
  if (d === '') return malformed('domainpart is empty');
  if (utf8Length(d) > MAX_PART_BYTES) return malformed('domainpart is longer than 1023 bytes');
  if (IP_LITERAL.test(d)) return ok(d);
  for (const label of d.split('.')) {
    if (!DOMAIN_LABEL.test(label) || utf8Length(label) > 63) return malformed('domainpart is not a valid domain name');
  }
  return ok(d);
}

// ---------------------------------------------------------------------------------------------
// Resourcepart

const NON_ASCII_SPACE = /[\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]/gu;
const FREEFORM = /^[\p{L}\p{M}\p{N}\p{P}\p{S} ]$/u;

export function resourcepartProfile(s: string): Result<string, GatewayError> {
  const r = s.replace(NON_ASCII_SPACE, ' ').normalize('NFC');
  if (r === '') return malformed('resourcepart is empty');
  for (const c of r) {
    if (!FREEFORM.test(c) || IGNORABLE.test(c) || isOldHangulJamo(codePoint(c))) {
      return malformed('resourcepart contains a character the XMPP resourcepart profile refuses');
    }
  }
  if (utf8Length(r) > MAX_PART_BYTES) return malformed('resourcepart is longer than 1023 bytes');
  return ok(r);
}

// ---------------------------------------------------------------------------------------------
// Whole JIDs

/** Builds a JID from parts, each prepared and enforced by its profile. */
export function makeJid(parts: { local?: string | undefined; domain: string; resource?: string | undefined }): Result<Jid, GatewayError> {
  const domain = domainpartProfile(parts.domain);
  if (!domain.ok) return domain;
  let local: string | undefined;
  if (parts.local !== undefined) {
    const l = localpartProfile(parts.local);
    if (!l.ok) return l;
    local = l.value;
  }
  let resource: string | undefined;
  if (parts.resource !== undefined) {
    const r = resourcepartProfile(parts.resource);
    if (!r.ok) return r;
    resource = r.value;
  }
  return ok(jidOf(local, domain.value, resource));
}

function jidOf(local: string | undefined, domain: string, resource: string | undefined): Jid {
  return { ...(local !== undefined && { local }), domain, ...(resource !== undefined && { resource }) };
}

/** RFC 7622 §3.2: resourcepart from the first '/', localpart up to the first '@' before it. */
export function parseJid(s: string): Result<Jid, GatewayError> {
  const slash = s.indexOf('/');
  const resource = slash >= 0 ? s.slice(slash + 1) : undefined;
  const rest = slash >= 0 ? s.slice(0, slash) : s;
  const at = rest.indexOf('@');
  const local = at >= 0 ? rest.slice(0, at) : undefined;
  const domain = at >= 0 ? rest.slice(at + 1) : rest;
  return makeJid({ local, domain, resource });
}

export function formatJid(j: Jid): string {
  return (j.local !== undefined ? `${j.local}@` : '') + j.domain + (j.resource !== undefined ? `/${j.resource}` : '');
}

export function bareJid(j: Jid): Jid {
  return jidOf(j.local, j.domain, undefined);
}
