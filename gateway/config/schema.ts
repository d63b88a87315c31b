// JSON schema of the config file (DESIGN.md §4). Unknown keys are errors: a typo must not
// silently turn a limit off.
const domainList = { type: 'array', items: { type: 'string', minLength: 1 } } as const;
const secret = { type: 'string', minLength: 1 } as const;

export const configSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['sip', 'xmpp'],
  properties: {
    node: {
      type: 'object', additionalProperties: false,
      properties: {
        id: { type: 'string', minLength: 1 },
        roles: { type: 'array', minItems: 1, uniqueItems: true, items: { enum: ['sip', 'xmpp', 'core'] } },
      },
    },
    bus: {
      oneOf: [
        { const: 'memory' },
        {
          type: 'object', additionalProperties: false, required: ['nats'],
          properties: {
            nats: {
              type: 'object', additionalProperties: false, required: ['servers'],
              properties: { servers: { type: 'array', minItems: 1, items: { type: 'string', pattern: '^(nats|tls)://' } } },
            },
          },
        },
      ],
    },
    store: {
      type: 'object', additionalProperties: false,
      properties: { path: { type: 'string', minLength: 1 } },
    },
    http: {
      type: 'object', additionalProperties: false,
      properties: { listen: { type: 'string', minLength: 1 }, adminToken: secret },
    },
    sip: {
      type: 'object', additionalProperties: false, required: ['listen', 'domains'],
      properties: {
        listen: { type: 'array', minItems: 1, items: { type: 'string', pattern: '^(udp|tcp|tls|ws|wss)://' } },
        tls: {
          type: 'object', additionalProperties: false, required: ['cert', 'key'],
          properties: { cert: { type: 'string' }, key: { type: 'string' }, ca: { type: 'string' }, clientAuth: { type: 'boolean' } },
        },
        outboundProxy: { type: 'string', pattern: '^sips?:' },
        // DNS servers for RFC 3263 lookups (host:port), instead of the system's resolvers.
        dnsServers: { type: 'array', minItems: 1, items: { type: 'string', pattern: '^(\\[[0-9a-fA-F:.]+\\]|[0-9.]+)(:\\d{1,5})?$' } },
        domains: { ...domainList, minItems: 1 },
      },
    },
    xmpp: {
      type: 'object', additionalProperties: false, required: ['components'],
      properties: {
        components: {
          type: 'array', minItems: 1,
          items: {
            type: 'object', additionalProperties: false, required: ['domain', 'secret'],
            properties: {
              domain: { type: 'string', minLength: 1 },
              host: { type: 'string', minLength: 1 },
              port: { type: 'integer', minimum: 1, maximum: 65535 },
              secret,
              addressing: { enum: ['direct', 'escaped'] },
            },
          },
        },
      },
    },
    peers: {
      type: 'array',
      items: {
        type: 'object', additionalProperties: false, required: ['name', 'remote', 'local'],
        properties: {
          name: { type: 'string', minLength: 1, pattern: '^[A-Za-z0-9_.-]+$' },
          remote: {
            type: 'object', additionalProperties: false, minProperties: 1,
            properties: { xmpp: domainList, sip: domainList },
          },
          local: {
            type: 'object', additionalProperties: false, required: ['domains'],
            properties: { domains: { ...domainList, minItems: 1 }, users: { type: 'array', items: { type: 'string', minLength: 1 } } },
          },
          services: { type: 'array', uniqueItems: true, items: { enum: ['message', 'presence', 'chatstates', 'receipts', 'publish'] } },
          direction: { enum: ['inbound', 'outbound', 'both'] },
          limits: {
            type: 'object', additionalProperties: false,
            properties: {
              messagesPerSecond: { type: 'number', exclusiveMinimum: 0 },
              burst: { type: 'integer', minimum: 1 },
              maxMessageBytes: { type: 'integer', minimum: 1 },
            },
          },
          billing: {
            type: 'object', additionalProperties: false,
            properties: { activeUserLimit: { type: 'integer', minimum: 0 } },
          },
        },
      },
    },
    log: {
      type: 'object', additionalProperties: false,
      properties: { level: { enum: ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] } },
    },
  },
} as const;
