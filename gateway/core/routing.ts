// Which component and addressing mode serve a pair of addresses. Pure.
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

/** user and domain of a SIP-ish URI (`sip:user@host;params`, with or without <>). */
export function uriParts(uri: string): { user: string; domain: string } | undefined {
  let s = uri.trim();
  if (s.startsWith('<')) s = s.slice(1, s.indexOf('>') === -1 ? undefined : s.indexOf('>'));
  const colon = s.indexOf(':');
  if (colon < 0) return undefined;
  s = s.slice(colon + 1);
  const end = s.search(/[;?>]/);
  if (end >= 0) s = s.slice(0, end);
  const at = s.lastIndexOf('@');
  const hostport = at >= 0 ? s.slice(at + 1) : s;
  const portColon = hostport.startsWith('[') ? hostport.indexOf(']') + 1 : hostport.indexOf(':');
  const domain = (portColon <= 0 ? hostport : hostport.slice(0, portColon)).toLowerCase();
  if (domain === '') return undefined;
  return { user: at >= 0 ? s.slice(0, at) : '', domain };
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
