// Peering agreements: who may federate with whom, for which service, in which direction.
// Pure: the decision is a value with a reason code, so every refusal is explainable and counted.
import type { PeerConfig, Service } from '../config/types.ts';

export type Network = 'sip' | 'xmpp';

export interface AdmissionRequest {
  service: Service;
  /** outbound: our local user sends to the remote side; inbound: remote sends to our local user. */
  direction: 'inbound' | 'outbound';
  local: { user: string; domain: string };
  remote: { network: Network; domain: string };
  /** Size of the content in bytes, when the service carries content. */
  bytes?: number;
}

export type RefusalCode = 'no-agreement' | 'user-not-enabled' | 'service-not-granted' | 'direction-not-allowed' | 'too-large';

export type Decision =
  | { ok: true; peer: PeerConfig }
  | { ok: false; code: RefusalCode; reason: string; peer?: string };

/** Services that only make sense with others granted too: PUBLISHed presence reaches presence
 * watchers only (config/parse.ts refuses an agreement listing one without the other). */
export const REQUIRES: Readonly<Partial<Record<Service, readonly Service[]>>> = { publish: ['presence'] };

/** The agreement for this pair of domains: an exact remote match wins over `*`. */
export function findAgreement(peers: readonly PeerConfig[], local: string, remote: { network: Network; domain: string }): PeerConfig | undefined {
  let wildcard: PeerConfig | undefined;
  for (const p of peers) {
    if (!p.local.domains.includes(local)) continue;
    const list = p.remote[remote.network];
    if (list.includes(remote.domain)) return p;
    if (!wildcard && list.includes('*')) wildcard = p;
  }
  return wildcard;
}

export function admit(peers: readonly PeerConfig[], req: AdmissionRequest): Decision {
  const peer = findAgreement(peers, req.local.domain, req.remote);
  if (!peer) return { ok: false, code: 'no-agreement', reason: `no peering agreement between ${req.local.domain} and ${req.remote.domain}` };
  const name = peer.name;
  if (!userEnabled(peer.local.users, req.local.user, req.local.domain)) {
    return { ok: false, code: 'user-not-enabled', reason: `${req.local.user}@${req.local.domain} is not enabled for federation`, peer: name };
  }
  for (const service of [req.service, ...(REQUIRES[req.service] ?? [])]) {
    if (!peer.services.includes(service)) {
      const why = service === req.service ? '' : ` (${req.service} needs ${service})`;
      return { ok: false, code: 'service-not-granted', reason: `agreement ${name} does not grant ${service}${why}`, peer: name };
    }
  }
  if (peer.direction !== 'both' && peer.direction !== req.direction) {
    return { ok: false, code: 'direction-not-allowed', reason: `agreement ${name} is ${peer.direction} only`, peer: name };
  }
  const max = peer.limits.maxMessageBytes;
  if (max !== undefined && req.bytes !== undefined && req.bytes > max) {
    return { ok: false, code: 'too-large', reason: `message of ${req.bytes} bytes exceeds ${max} bytes allowed by agreement ${name}`, peer: name };
  }
  return { ok: true, peer };
}

/** users: `*`, `user` (any local domain of the agreement) or `user@domain`. */
function userEnabled(users: readonly string[], user: string, domain: string): boolean {
  for (const u of users) {
    if (u === '*' || u === user || u === `${user}@${domain}`) return true;
  }
  return false;
}
