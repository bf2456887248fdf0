import type { LoginService } from '../../logins/service.js';
import type { ConnectionStatusEntry } from '../../status/contract.js';
import { forbidden } from '../errors.js';
import { route, type ProvisionRoute } from '../route-table.js';
import { loginJson } from './logins.js';

/** The bridge's own state: `running`, or `degraded` with why (store, homeserver). */
export interface BridgeState {
  readonly state: 'running' | 'degraded';
  readonly message?: string;
}

export interface StatusDeps {
  readonly plugin: string;
  readonly bridgeState: () => Promise<BridgeState>;
  readonly logins: () => LoginService | undefined;
  readonly connections: () => readonly ConnectionStatusEntry[];
}

/** `GET /status`: the bridge's state, who the caller is, their logins with theirs (every login for an admin with `?all=true`), and the plugin's other connections. */
export function statusRoutes(deps: StatusDeps): ProvisionRoute[] {
  return [
    route({
      method: 'GET', path: '/status',
      handle: async ({ caller, query }) => {
        const all = query['all'] === 'true';
        if (all && !caller.admin) throw forbidden('Only bridge administrators may see every login');
        const service = deps.logins();
        const logins = service === undefined ? [] : all ? service.all() : service.list(caller.userId);
        return {
          body: {
            bridge: { plugin: deps.plugin, ...await deps.bridgeState() },
            user: { user_id: caller.userId, admin: caller.admin },
            logins_supported: service !== undefined,
            logins: logins.map(loginJson),
            // Bridge-wide (room ids, the bot's own connection): for administrators only.
            connections: caller.admin ? deps.connections().map(connectionJson) : [],
          },
        };
      },
    }),
  ];
}

/** A connection that is not a login, as the API shows it (its message says nothing secret: the contract forbids it). */
function connectionJson(entry: ConnectionStatusEntry): Record<string, unknown> {
  return { id: entry.id, state: entry.state, ...(entry.message !== undefined ? { message: entry.message } : {}), since: entry.since };
}
