// The validated config, DESIGN.md §4. Secrets (`env:NAME`) are already resolved here.
export type Role = 'sip' | 'xmpp' | 'core';
/** `publish`: SIP PUBLISH (RFC 3903) of presence for the agreement's XMPP users, composed into
 * what their SIP watchers see (docs/presence.md); needs `presence` in the same agreement. */
export type Service = 'message' | 'presence' | 'chatstates' | 'receipts' | 'publish';
export type Direction = 'inbound' | 'outbound' | 'both';

export interface ComponentConfig {
  domain: string;
  host: string;
  port: number;
  secret: string;
  addressing: 'direct' | 'escaped';
}

export interface PeerConfig {
  name: string;
  remote: { xmpp: string[]; sip: string[] };
  local: { domains: string[]; users: string[] };
  services: Service[];
  direction: Direction;
  limits: { messagesPerSecond?: number; burst?: number; maxMessageBytes?: number };
  billing: { activeUserLimit?: number };
}

/** File paths (PEM). `ca`: CAs trusted for peers (default the system's); `clientAuth`: require a
 * client certificate from connecting TLS/WSS peers (mutual TLS). */
export interface SipTlsConfig { cert: string; key: string; ca?: string; clientAuth?: boolean }

export interface ParleyConfig {
  node: { id: string; roles: Role[] };
  bus: { kind: 'memory' } | { kind: 'nats'; servers: string[] };
  store: { path: string };
  http: { listen: string; adminToken?: string };
  sip: { listen: string[]; tls?: SipTlsConfig; outboundProxy?: string; dnsServers?: string[]; domains: string[] };
  xmpp: { components: ComponentConfig[] };
  peers: PeerConfig[];
  log: { level: string };
}
