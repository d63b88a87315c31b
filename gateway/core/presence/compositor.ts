// The event state compositor (RFC 3903) for the presence of XMPP users, where an agreement grants
// `publish` (docs/presence.md): publications of PIDF documents with entity tags, kept as soft state
// in memory and expired on one DeadlineWheel (no timer per publication). This file is steps 4 to 7
// of RFC 3903 §6 for a request already routed and authorised (steps 1 to 3: publish.ts), and the
// state they act on. Which documents a presentity has is read by the watchers' NOTIFYs
// (watchers.ts, composed by translators/pidf-compose.ts); every change is told through onChange.
//
// Soft state, on purpose: after a restart the state is gone, the EPA's next refresh gets 412 (its
// entity tag is unknown, RFC 3903 §6 step 4) and it publishes again with an initial PUBLISH.
import { randomBytes } from 'node:crypto';
import { sipResponseFor } from '../../../translators/errors.ts';
import { parseMediaType } from '../../../translators/media-type.ts';
import { parsePidf, type PidfDocument } from '../../../translators/pidf.ts';
import type { Clock } from '../../clock.ts';
import { DeadlineWheel, type Expiring } from '../../deadline-wheel.ts';
import { DEFAULT_WATCHER_POLICY, eventPackage, PIDF_TYPE, PRESENCE_EVENT } from './watcher-rules.ts';

export interface PublishPolicy {
  /** Granted when the PUBLISH names no Expires (3600, as for the watchers). */
  readonly defaultExpires: number;
  /** Below this (and above 0) the answer is 423 with Min-Expires. */
  readonly minExpires: number;
  /** Longer asks are cut down to this (RFC 3903 §6 step 5), answered in the 200's Expires. */
  readonly maxExpires: number;
  /** Publications one presentity may hold at once; more are refused 403 (ours: a bound on memory). */
  readonly maxPerPresentity: number;
  /** Publications held in all; more are refused 403 (ours). */
  readonly maxTotal: number;
}

/** The longest grant is the watchers' (3600 s; no config key sets either). */
export const DEFAULT_PUBLISH_POLICY: PublishPolicy = {
  defaultExpires: 3600, minExpires: 60, maxExpires: DEFAULT_WATCHER_POLICY.maxExpires, maxPerPresentity: 8, maxTotal: 100_000,
};

export interface PublishAnswer {
  readonly status: number;
  readonly reason: string;
  readonly headers: ReadonlyArray<readonly [string, string]>;
}

/** A PUBLISH routed to a presentity and authorised: the header values as they came (trimmed or not). */
export interface PublishInput {
  /** The presentity's key (the XMPP user's bare JID). */
  readonly presentity: string;
  /** The Expires header; undefined when absent. */
  readonly expires?: string | undefined;
  /** The SIP-If-Match header (RFC 3903 §11.3.2); undefined when absent. */
  readonly ifMatch?: string | undefined;
  readonly contentType?: string | undefined;
  readonly body: Uint8Array;
}

/** RFC 3903 §6 step 2: no Event header, or a package other than presence → 489 with Allow-Events. */
export function badEvent(event: string | undefined): PublishAnswer | undefined {
  if (event !== undefined && eventPackage(event) === PRESENCE_EVENT) return undefined;
  return { status: 489, reason: 'Bad Event', headers: [['Allow-Events', PRESENCE_EVENT]] };
}

const answer = (status: number, reason: string, headers: ReadonlyArray<readonly [string, string]> = []): PublishAnswer => ({ status, reason, headers });

/** One publication: a slot in the wheel; `gone` is the compositor's one shared callback. */
class Publication implements Expiring {
  readonly presentity: string;
  etag: string;
  doc: PidfDocument;
  expiresAt: number;
  ticket = 0;
  readonly #gone: (p: Publication) => void;

  constructor(presentity: string, etag: string, doc: PidfDocument, expiresAt: number, gone: (p: Publication) => void) {
    this.presentity = presentity;
    this.etag = etag;
    this.doc = doc;
    this.expiresAt = expiresAt;
    this.#gone = gone;
  }

  expire(): void {
    this.#gone(this);
  }
}

export interface CompositorOptions {
  clock: Clock;
  policy?: PublishPolicy;
  /** A presentity's published state changed (publication, modification, removal, expiry). */
  onChange: (presentity: string) => void;
  /** Fresh entity tags (default: 96 random bits, base64url). */
  newEtag?: () => string;
}

export class EventStateCompositor {
  readonly #clock: Clock;
  readonly #policy: PublishPolicy;
  readonly #onChange: (presentity: string) => void;
  readonly #newEtag: () => string;
  readonly #wheel: DeadlineWheel;
  readonly #byEtag = new Map<string, Publication>();
  /** Each presentity's publications, oldest first. */
  readonly #byPresentity = new Map<string, Publication[]>();
  readonly #expired = (p: Publication): void => {
    this.#remove(p);
    this.#onChange(p.presentity);
  };

  constructor(o: CompositorOptions) {
    this.#clock = o.clock;
    this.#policy = o.policy ?? DEFAULT_PUBLISH_POLICY;
    this.#onChange = o.onChange;
    this.#newEtag = o.newEtag ?? (() => randomBytes(12).toString('base64url'));
    this.#wheel = new DeadlineWheel(o.clock);
  }

  /** Publications held. */
  get size(): number {
    return this.#byEtag.size;
  }

  /** The documents published for a presentity and not expired, oldest publication first. */
  documents(presentity: string): PidfDocument[] {
    const now = this.#clock.now();
    return (this.#byPresentity.get(presentity) ?? []).filter((p) => p.expiresAt > now).map((p) => p.doc);
  }

  /** RFC 3903 §6 steps 4 to 7 (see the header). */
  publish(req: PublishInput): PublishAnswer {
    const policy = this.#policy;
    const now = this.#clock.now();
    // Step 4: a conditional request names state of this presentity that is still alive.
    let pub: Publication | undefined;
    if (req.ifMatch !== undefined) {
      pub = this.#byEtag.get(req.ifMatch.trim());
      if (pub !== undefined && pub.expiresAt <= now) {
        // The wheel fires up to a tick late: expired is expired.
        this.#expired(pub);
        pub = undefined;
      }
      if (pub === undefined || pub.presentity !== req.presentity) return answer(412, 'Conditional Request Failed');
    } else if (req.body.byteLength === 0) {
      return answer(400, 'Bad Request (an initial PUBLISH needs a body)');
    }
    // Step 5: the expiration.
    let asked = policy.defaultExpires;
    if (req.expires !== undefined) {
      if (!/^\s*\d+\s*$/u.test(req.expires)) return answer(400, 'Bad Request (Expires is not a number of seconds)');
      asked = Number(req.expires);
    }
    if (asked > 0 && asked < policy.minExpires) return answer(423, 'Interval Too Brief', [['Min-Expires', String(policy.minExpires)]]);
    const granted = Math.min(asked, policy.maxExpires);
    if (granted === 0 && pub !== undefined) {
      this.#remove(pub);
      this.#onChange(pub.presentity);
      return this.#ok(0);
    }
    // Step 6: the body, when there is one (a refresh has none).
    let doc: PidfDocument | undefined;
    if (req.body.byteLength > 0) {
      const type = req.contentType === undefined ? undefined : parseMediaType(req.contentType)?.type;
      if (type !== PIDF_TYPE) return answer(415, 'Unsupported Media Type', [['Accept', PIDF_TYPE]]);
      const parsed = parsePidf(req.body);
      if (!parsed.ok) {
        const r = sipResponseFor(parsed.error);
        return answer(r.status, r.reason);
      }
      doc = parsed.value;
    }
    // Step 7: the new state, a fresh entity tag.
    if (pub === undefined) {
      // An initial publication (it has a body: step 4).
      if (granted === 0) return this.#ok(0); // published and gone at once: nothing to keep
      const held = this.#byPresentity.get(req.presentity) ?? [];
      if (held.length >= policy.maxPerPresentity) return answer(403, 'Forbidden (too many publications for this presentity)');
      if (this.#byEtag.size >= policy.maxTotal) return answer(403, 'Forbidden (too many publications held by the gateway)');
      const etag = this.#newEtag();
      const p = new Publication(req.presentity, etag, doc as PidfDocument, now + granted * 1000, this.#expired);
      p.ticket = this.#wheel.add(p, p.expiresAt);
      this.#byEtag.set(etag, p);
      held.push(p);
      this.#byPresentity.set(req.presentity, held);
      this.#onChange(req.presentity);
      return this.#ok(granted, etag);
    }
    // A refresh (no body) or a modification (a body).
    this.#byEtag.delete(pub.etag);
    pub.etag = this.#newEtag();
    this.#byEtag.set(pub.etag, pub);
    this.#wheel.cancel(pub, pub.ticket);
    pub.expiresAt = now + granted * 1000;
    pub.ticket = this.#wheel.add(pub, pub.expiresAt);
    if (doc !== undefined) {
      pub.doc = doc;
      this.#onChange(pub.presentity);
    }
    return this.#ok(granted, pub.etag);
  }

  /** Drops every publication without telling anyone (the core stops). */
  clear(): void {
    this.#wheel.clear();
    this.#byEtag.clear();
    this.#byPresentity.clear();
  }

  /** Every success carries a fresh entity tag, a removal's included (RFC 3903 §6 step 7). */
  #ok(expires: number, etag = this.#newEtag()): PublishAnswer {
    return answer(200, 'OK', [['SIP-ETag', etag], ['Expires', String(expires)]]);
  }

  #remove(p: Publication): void {
    this.#wheel.cancel(p, p.ticket);
    this.#byEtag.delete(p.etag);
    // Only held publications are removed: the wheel forgets each one removed before it fires.
    const rest = (this.#byPresentity.get(p.presentity) as Publication[]).filter((x) => x !== p);
    if (rest.length === 0) this.#byPresentity.delete(p.presentity);
    else this.#byPresentity.set(p.presentity, rest);
  }
}
