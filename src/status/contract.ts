/**
 * # Status of connections without logins
 *
 * Some plugins hold remote connections that belong to no user's login: the IRC bot's own
 * connection, a webhook's outbound target. They report each one's state here, with the same
 * state names as logins (docs/provisioning.md, "Status of connections without logins"); the
 * provisioning API's `/status`, `/metrics` (`bridgekit_connections{state}`) show them.
 */
import type { LoginStateName } from '../logins/contract.js';

export interface ConnectionReport {
  readonly state: LoginStateName;
  /** For an administrator: why ("HTTP 503, retrying"). No secrets, no URLs with credentials or query strings. */
  readonly message?: string;
}

export interface ConnectionStatusEntry extends ConnectionReport {
  /** The plugin's id for the connection (`irc`, `outbound:!room:hs`). */
  readonly id: string;
  /** When the state last changed (ms since the epoch); the same state reported again keeps it. */
  readonly since: number;
}

/** `ctx.status`: the plugin reports its connections' states; kept in memory only. */
export interface PluginStatus {
  /** The connection's latest state; a change (state or message) is logged once. */
  report(connectionId: string, report: ConnectionReport): void;
  /** The connection is gone (a hook removed): no longer shown. */
  forget(connectionId: string): void;
}
