// Which component and addressing mode serve a pair of addresses. Pure.
import { parseSipUri } from '../../translators/address.ts';
import type { ComponentConfig, ParleyConfig } from '../config/types.ts';

export type Addressing = { addressing: 'direct' } | { addressing: 'escaped'; gatewayDomain: string };

export function addressingOf(c: ComponentConfig): Addressing {
  return c.addressing === 'direct' ? { addressing: 'direct' } : { addressing: 'escaped', gatewayDomain: c.domain };
}

/** The component that carries traffic of a local SIP domain: its direct twin, else an escaped gateway. */
export function componentForSipDomain(config: ParleyConfig, sipDomain: string): ComponentConfig | undefined {
  const comps = config.xmpp.components;
  return comps.find((c) => c.addressing === 'direct' && c.domain === sipDomain) ?? comps.find((c) => c.addressing === 'escaped');
}

export function componentByDomain(config: ParleyConfig, domain: string): ComponentConfig | undefined {
  return config.xmpp.components.find((c) => c.domain === domain);
}

/**
 * User (percent-decoded) and domain of a sip:/sips:/pres:/im: URI, as the address translator reads
 * it; undefined when it is not such a URI.
 */
export function uriParts(uri: string): { user: string; domain: string } | undefined {
  const parsed = parseSipUri(uri);
  return parsed.ok ? { user: parsed.value.user ?? '', domain: parsed.value.host } : undefined;
}

/** Bare domain of a JID (`user@domain/resource`). */
export function jidDomain(jid: string): string {
  const slash = jid.indexOf('/');
  const bare = slash >= 0 ? jid.slice(0, slash) : jid;
  const at = bare.indexOf('@');
  return (at >= 0 ? bare.slice(at + 1) : bare).toLowerCase();
}

export function jidLocal(jid: string): string {
  const slash = jid.indexOf('/');
  const bare = slash >= 0 ? jid.slice(0, slash) : jid;
  const at = bare.indexOf('@');
  return at >= 0 ? bare.slice(0, at) : '';
}
