import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { closeServer } from './net.js';

/** One request the stub took: its path, and the device it was made as (MSC3202 masquerading). */
export interface KeysRequest {
  readonly path: string;
  readonly deviceId: string | undefined;
  /** The JSON body, parsed (undefined when there was none). */
  readonly body: unknown;
}

/**
 * A loopback stand-in for the homeserver's crypto endpoints a crypto machine's first steps
 * need (the test homeserver has none): appservice logins and key uploads are taken
 * (`{}`, and 50 one-time keys counted), everything else answered `{}`; each request recorded.
 */
export async function keysHomeserver(): Promise<{ readonly url: string; readonly requests: KeysRequest[]; close(): Promise<void> }> {
  const requests: KeysRequest[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      const text = Buffer.concat(chunks).toString('utf8');
      requests.push({ path: url.pathname, deviceId: url.searchParams.get('org.matrix.msc3202.device_id') ?? undefined, body: text === '' ? undefined : JSON.parse(text) as unknown });
      res.setHeader('content-type', 'application/json');
      res.end(url.pathname === '/_matrix/client/v3/keys/upload' ? '{"one_time_key_counts":{"signed_curve25519":50}}' : '{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests, close: () => closeServer(server) };
}
