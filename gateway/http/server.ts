// One HTTP listener: /metrics, /healthz (process up), /readyz (edges connected, bus and store
// reachable). The admin API under /v1/ comes later.
import { createServer, type Server } from 'node:http';
import type { MetricsRegistry } from './metrics.ts';

export interface ReadinessCheck { name: string; ok(): boolean }

export interface HttpServer { readonly port: number; close(): Promise<void> }

export async function startHttpServer(listen: string, registry: MetricsRegistry, checks: readonly ReadinessCheck[]): Promise<HttpServer> {
  const { host, port } = splitHostPort(listen);
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    if (path === '/metrics') {
      registry.render().then(
        (text) => res.writeHead(200, { 'content-type': registry.contentType }).end(text),
        (err: unknown) => res.writeHead(500, { 'content-type': 'text/plain' }).end(String(err)),
      );
      return;
    }
    if (path === '/healthz') {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}\n');
      return;
    }
    if (path === '/readyz') {
      const results = Object.fromEntries(checks.map((c) => [c.name, c.ok()]));
      const ready = Object.values(results).every(Boolean);
      res.writeHead(ready ? 200 : 503, { 'content-type': 'application/json' }).end(`${JSON.stringify({ ready, checks: results })}\n`);
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => { server.off('error', reject); resolve(); });
  });
  const addr = server.address();
  return {
    port: typeof addr === 'object' && addr ? addr.port : port,
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}

export function splitHostPort(listen: string): { host: string; port: number } {
  const i = listen.lastIndexOf(':');
  const host = listen.slice(0, i).replace(/^\[|\]$/g, '');
  return { host, port: Number(listen.slice(i + 1)) };
}
