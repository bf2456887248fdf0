import { networkErrorCode } from '../homeserver/network.js';

/** Why the homeserver could not be asked, in words an operator can act on. */
export class ProbeError extends Error {
  constructor(message: string, readonly code: string) {
    super(message);
    this.name = 'ProbeError';
  }
}

const REASONS: Readonly<Record<string, string>> = {
  ECONNREFUSED: 'connection refused',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host name lookup failed',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ECONNRESET: 'connection reset',
  UND_ERR_CONNECT_TIMEOUT: 'connection timed out',
};

/**
 * `GET /_matrix/client/versions`, once, without retries and without a token: the
 * cheapest proof the homeserver answers. Resolves with the spec versions it claims.
 */
export async function probeVersions(baseUrl: string, timeoutMs: number): Promise<string[]> {
  const url = `${baseUrl.replace(/\/+$/, '')}/_matrix/client/versions`;
  let response: Response;
  let text: string;
  try {
    response = await fetch(url, { headers: { accept: 'application/json' }, signal: AbortSignal.timeout(timeoutMs) });
    text = await response.text();
  } catch (err) {
    if ((err as { name?: string }).name === 'TimeoutError') throw new ProbeError(`no answer within ${timeoutMs} ms`, 'timeout');
    const code = networkErrorCode(err);
    throw new ProbeError(`${REASONS[code] ?? 'request failed'} (${code})`, code);
  }
  if (response.status !== 200) throw new ProbeError(`answered HTTP ${response.status}`, `http_${response.status}`);
  let versions: unknown;
  try {
    versions = (JSON.parse(text) as { versions?: unknown }).versions;
  } catch {
    versions = undefined;
  }
  if (!Array.isArray(versions) || !versions.every((v) => typeof v === 'string')) {
    throw new ProbeError('answered, but not with a Matrix versions list (is homeserver.url the client-server API?)', 'format');
  }
  return versions as string[];
}
