import { randomUUID } from 'node:crypto';
import { createAppserviceApp, listen, type RunningServer } from '../appservice/index.js';
import type { BridgeConfig } from '../config/index.js';
import { MatrixError, type HomeserverApi } from '../homeserver/index.js';
import { InboxUnavailable } from '../inbox/index.js';
import { silentLogger } from '../log/logger.js';
import { Namespaces, type Registration } from '../registration/index.js';
import { fail, pass, type CheckResult } from './doctor-checks.js';

const NAME = 'ping round trip';

/**
 * A stand-in endpoint for when the bridge is not running: the real appservice app
 * (hs_token checked exactly as the bridge checks it), answering ping and asking the
 * homeserver to retry any transaction later, so nothing pushed meanwhile is lost.
 */
async function temporaryEndpoint(config: BridgeConfig, registration: Registration, pings: Set<string>): Promise<RunningServer | undefined> {
  const app = createAppserviceApp({
    registration,
    namespaces: new Namespaces(registration, config.homeserver.domain),
    sink: { accept: () => Promise.reject(new InboxUnavailable('bridgekit doctor is checking the bridge; retry shortly', 5_000)) },
    handlers: { onPing: (id) => { if (id !== null) pings.add(id); } },
    maxBodyBytes: config.appservice.maxBodyBytes,
    logger: silentLogger(),
  });
  try {
    return await listen(app, config.appservice.bind, config.appservice.port);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EADDRINUSE') return undefined;
    throw e;
  }
}

/** What a failed ping means and what to do, by the homeserver's errcode. */
function explain(e: MatrixError, url: string | null): { detail: string; advice: string } {
  const detail = `${e.status} ${e.errcode}: ${e.error}`;
  const status = e.body['status'];
  switch (e.errcode) {
    case 'M_URL_NOT_SET':
      return { detail: 'the registration has no url, so the homeserver sends the bridge nothing', advice: 'set appservice.url, regenerate the registration and reload it in the homeserver' };
    case 'M_CONNECTION_FAILED':
      return { detail: `the homeserver could not connect to ${url}: ${e.error}`, advice: 'check appservice.url is reachable from the homeserver and matches appservice.bind/port' };
    case 'M_CONNECTION_TIMEOUT':
      return { detail: `the homeserver timed out reaching ${url}`, advice: 'check firewalls between the homeserver and appservice.url' };
    case 'M_BAD_STATUS':
      if (status === 403 || status === 401) {
        return {
          detail: `the bridge at ${url} refused the homeserver's hs_token (HTTP ${String(status)})`,
          advice: 'the homeserver holds a different registration: give it the current registration.yaml and restart it',
        };
      }
      return { detail: `the bridge at ${url} answered HTTP ${String(status ?? '?')}`, advice: 'check the bridge\'s log, and that appservice.url points at the bridge' };
    case 'M_UNKNOWN_TOKEN':
    case 'M_MISSING_TOKEN':
      return { detail, advice: 'the homeserver does not know the as_token: add registration.yaml to its app_service_config_files and restart it' };
    case 'M_FORBIDDEN':
      return { detail, advice: 'the id in registration.yaml differs from the homeserver\'s copy: reload the registration in the homeserver' };
    default:
      return { detail, advice: 'see the homeserver\'s log' };
  }
}

/**
 * `POST /_matrix/client/v1/appservice/{id}/ping`: the homeserver calls our
 * `/_matrix/app/v1/ping` at the registration's url. When the configured port is free the
 * bridge is not running, and a temporary endpoint answers; when it is taken, the
 * running bridge does.
 */
export async function checkPing(config: BridgeConfig, registration: Registration, api: HomeserverApi): Promise<CheckResult> {
  const nonce = `bridgekit-doctor-${randomUUID()}`;
  const pings = new Set<string>();
  const where = `${config.appservice.bind}:${config.appservice.port}`;
  let temporary: RunningServer | undefined;
  try {
    temporary = await temporaryEndpoint(config, registration, pings);
  } catch (e) {
    return fail(NAME, `cannot listen on ${where}: ${(e as Error).message}`, 'check appservice.bind and appservice.port');
  }
  const notes = temporary
    ? [`bridge not running; started a temporary listener for the ping on ${temporary.url}`]
    : [`${where} is in use (the running bridge, presumably); pinging through it`];
  try {
    const ms = await api.appservice.ping(nonce, { timeoutMs: 30_000 });
    if (temporary && !pings.has(nonce)) {
      return fail(NAME, `the homeserver reached something at ${registration.url}, but not ${where}`, 'make appservice.url (and the registration\'s url) point at appservice.bind:port', notes);
    }
    return pass(NAME, `the homeserver reached ${registration.url} and back in ${ms} ms`, notes);
  } catch (e) {
    if (e instanceof MatrixError && (e.status === 404 || e.errcode === 'M_UNRECOGNIZED')) {
      return { name: NAME, status: 'warn', detail: 'this homeserver does not support the appservice ping (spec v1.7)', advice: 'upgrade the homeserver to check the round trip; the other checks still apply', notes };
    }
    if (e instanceof MatrixError) {
      const { detail, advice } = explain(e, registration.url);
      return fail(NAME, detail, advice, notes);
    }
    return fail(NAME, (e as Error).message, 'check that the homeserver is reachable', notes);
  } finally {
    await temporary?.close();
  }
}
