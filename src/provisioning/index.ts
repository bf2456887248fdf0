/** The provisioning API (docs/provisioning.md): `/_matrix/provision/v1/` on the bridge's listener. */
import type Koa from 'koa';
import type { BridgeConfig } from '../config/index.js';
import type { Logger } from '../log/logger.js';
import type { LoginService } from '../logins/service.js';
import type { Mirror } from '../mirror/index.js';
import type { GhostIds } from '../plugin/ghost-ids.js';
import type { Mappings } from '../plugin/mappings.js';
import type { PluginProvisioning } from '../plugin/provisioning.js';
import type { RemotePipeline } from '../plugin/remote/pipeline.js';
import type { Puppet } from '../puppets/index.js';
import type { ConnectionStatusEntry } from '../status/contract.js';
import { provisioningMiddleware } from './api.js';
import { ProvisioningAuth, type ProvisioningPermissions } from './auth.js';
import { OpenIdVerifier } from './openid.js';
import { PROVISIONING_OPENAPI } from './openapi.js';
import type { ProvisionRoute } from './route-table.js';
import { loginRoutes } from './routes/logins.js';
import { remoteRoutes } from './routes/remote.js';
import { roomRoutes } from './routes/rooms.js';
import { statusRoutes, type BridgeState } from './routes/status.js';

export { PROVISION_PREFIX } from './api.js';
export { PROVISIONING_OPENAPI } from './openapi.js';
export type { BridgeState } from './routes/status.js';

export interface ProvisioningDeps {
  readonly config: Pick<BridgeConfig, 'provisioning' | 'homeserver' | 'outbound'>;
  readonly pluginName: string;
  readonly hooks: PluginProvisioning | undefined;
  readonly permissions: ProvisioningPermissions;
  /** The login service, when the plugin has logins (a function: it may be made after the API). */
  readonly logins: () => LoginService | undefined;
  readonly bridgeState: () => Promise<BridgeState>;
  /** The plugin's connections that are not logins (ctx.status); none when absent. */
  readonly connections?: () => readonly ConnectionStatusEntry[];
  readonly bot: Puppet;
  readonly mirror: Pick<Mirror, 'room' | 'resync'>;
  readonly mappings: Mappings;
  readonly ghosts: GhostIds;
  readonly remote: Pick<RemotePipeline, 'ensureGhost' | 'push'>;
  readonly logger: Logger;
  /** Tests: where another server's userinfo is (default `https://<server name>`). */
  readonly federationBaseUrl?: (serverName: string) => string;
}

/** Every route of the API (for the OpenAPI test as well as the listener). */
export function provisioningRoutes(deps: ProvisioningDeps): ProvisionRoute[] {
  return [
    ...loginRoutes(deps.logins),
    ...remoteRoutes({ hooks: deps.hooks, remote: deps.remote, mappings: deps.mappings, ghosts: deps.ghosts, bot: deps.bot, mirror: deps.mirror, logger: deps.logger }),
    ...roomRoutes({ hooks: deps.hooks, bot: deps.bot, mirror: deps.mirror, logger: deps.logger }),
    ...statusRoutes({ plugin: deps.pluginName, bridgeState: deps.bridgeState, logins: deps.logins, connections: deps.connections ?? (() => []) }),
  ];
}

/** The API's middleware for the bridge's listener; undefined when `provisioning.enabled` is false. */
export function createProvisioning(deps: ProvisioningDeps): Koa.Middleware | undefined {
  const { provisioning, homeserver, outbound } = deps.config;
  if (!provisioning.enabled) return undefined;
  const openId = new OpenIdVerifier({
    domain: homeserver.domain, homeserverUrl: homeserver.url, federated: provisioning.federatedOpenId,
    cacheMs: provisioning.openIdCacheSeconds * 1000, outbound, logger: deps.logger,
    ...(deps.federationBaseUrl ? { federationBaseUrl: deps.federationBaseUrl } : {}),
  });
  return provisioningMiddleware({
    auth: new ProvisioningAuth({ openId, sharedSecret: provisioning.sharedSecret, permissions: deps.permissions }),
    routes: provisioningRoutes(deps),
    openApi: PROVISIONING_OPENAPI,
    allowedOrigins: provisioning.allowedOrigins,
    logger: deps.logger,
  });
}
