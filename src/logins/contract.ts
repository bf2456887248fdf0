/**
 * # Logins: the plugin side of the contract
 *
 * A Matrix user connects their own remote account. The plugin declares how (`LoginSupport`
 * on `BridgePlugin.logins`): login *flows* (a password, a token, a QR code …), each a
 * series of *steps* that ask for input or show something, ending in a completed login.
 * bridgekit drives a flow from bot commands (`login`, in the user's management room) and
 * from the provisioning API (through `LoginService`), stores the completed login (its
 * credentials encrypted, never logged), asks the plugin to connect it, and again at every
 * start. The plugin reports each login's state (`ctx.logins.report`).
 *
 * Names are camelCase here; the provisioning API's JSON uses the same words.
 */
import type { JsonObject } from '../events/types.js';

/** One way to log in, as offered to the user. */
export interface LoginFlow {
  /** Stable, lowercase: `password`, `token`, `qr`. */
  readonly id: string;
  readonly name: string;
  readonly description: string;
}

/**
 * What a field holds. `password` and `token` are secrets: bridgekit never logs them,
 * and the bot redacts a message that answered one.
 */
export type LoginFieldType = 'text' | 'username' | 'password' | 'token' | 'email' | 'phone' | 'url' | 'domain' | 'code';

/** The field types whose values are secrets. */
export const SECRET_FIELD_TYPES: ReadonlySet<LoginFieldType> = new Set(['password', 'token']);

export interface LoginField {
  /** The key of its value in the submitted input. */
  readonly id: string;
  readonly type: LoginFieldType;
  /** Short label: "Nickname", "Password". */
  readonly name: string;
  readonly description?: string;
  /** A value must match this (JavaScript regular expression source, whole value); checked by bridgekit before the plugin sees it. */
  readonly pattern?: string;
  /** May be left empty (the bot accepts `-` for an empty answer). */
  readonly optional?: boolean;
  /** A secret even though the type does not say so. */
  readonly secret?: boolean;
}

/** What a login gives bridgekit to store when it completes. */
export interface CompletedLogin {
  /** The remote account's id (unique on the remote network): the same account logging in again replaces its login. */
  readonly remoteId: string;
  /** How to show the account to the user: "alice on Libera". */
  readonly remoteName: string;
  /** Secrets needed to connect again (passwords, tokens): encrypted at rest, never logged, given back to `connect`. */
  readonly credentials: JsonObject;
  /** Anything else to keep with the login, stored in the clear (shown in `inspect`: no secrets here). */
  readonly metadata?: JsonObject;
}

/** A step of a flow: ask for input, show something and wait, or done. */
export type LoginStep =
  | {
    readonly kind: 'input';
    /** Names the step (`credentials`, `2fa`): stable for one flow, for clients that show steps their own way. */
    readonly stepId: string;
    readonly instructions: string;
    readonly fields: readonly LoginField[];
  }
  | {
    readonly kind: 'display';
    readonly stepId: string;
    readonly instructions: string;
    /** A code to type elsewhere, a URL to open, or data to show as a QR code. */
    readonly display: { readonly type: 'code' | 'url' | 'qr'; readonly data: string };
  }
  | {
    readonly kind: 'complete';
    readonly instructions?: string;
    readonly login: CompletedLogin;
  };

/** One run of a flow for one user, made by `LoginSupport.begin`. Called one step at a time. */
export interface LoginProcess {
  /** The first step. */
  start(): Promise<LoginStep>;
  /** The answer to an `input` step: field id → value (checked against the fields' patterns). Returns the next step. */
  submit(input: Readonly<Record<string, string>>): Promise<LoginStep>;
  /** For a `display` step: resolves with the next step once the user did what was shown (scanned the code …). */
  wait?(): Promise<LoginStep>;
  /** The user gave up, or the process timed out: release what it holds (a half-open connection). */
  cancel?(): Promise<void>;
}

/** The user a login belongs to, as the plugin sees them when a flow starts. */
export interface LoginUser {
  readonly userId: string;
  readonly displayName?: string;
}

/** The states a login can be in (the names of mautrix's bridge states, lowercased). */
export const LOGIN_STATES = ['connecting', 'connected', 'transient_disconnect', 'bad_credentials', 'logged_out', 'unknown_error'] as const;
export type LoginStateName = typeof LOGIN_STATES[number];

/** The states in which the user has to act: they are told in their management room. */
export const STATES_NEEDING_USER: ReadonlySet<LoginStateName> = new Set(['bad_credentials', 'logged_out']);

export interface LoginStatus {
  readonly state: LoginStateName;
  /** For the user: what happened ("the password was refused"). No secrets. */
  readonly message?: string;
  /** When the state was reported (ms since the epoch). */
  readonly since: number;
}

/** A stored login as plugins and services see it. `credentials` only reach `connect`. */
export interface UserLogin {
  /** bridgekit's id of the login (short, stable; `logout <id>`). */
  readonly id: string;
  /** The Matrix user it belongs to. */
  readonly userId: string;
  readonly flowId: string;
  readonly remoteId: string;
  readonly remoteName: string;
  readonly metadata: JsonObject;
  readonly createdAt: number;
  readonly status: LoginStatus;
}

/** A login with its decrypted credentials: given to the plugin's `connect` only. */
export interface LoginWithCredentials extends UserLogin {
  readonly credentials: JsonObject;
}

/**
 * `BridgePlugin.logins`: what a plugin that lets users log in provides. The plugin holds
 * the connections; bridgekit holds the logins.
 */
export interface LoginSupport {
  readonly flows: readonly LoginFlow[];
  /** Starts a flow for a user. Throw `LoginError` to refuse (e.g. a user may have one login only). */
  begin(flowId: string, user: LoginUser): LoginProcess | Promise<LoginProcess>;
  /**
   * Connect a stored login: after a flow completed, and for every stored login at start
   * (after the plugin's `start`). Report its state through `ctx.logins.report`; do not
   * wait for the connection to be up.
   */
  connect(login: LoginWithCredentials): Promise<void>;
  /** The user logged out (or an admin removed the login): disconnect it. Its record is deleted after this. */
  logout(login: UserLogin): Promise<void>;
  /**
   * Cluster mode: another process removed this login (its `logout` ran there). Let go of
   * what this process holds for it (its connection's lease, a standby) without logging
   * out on the remote side again. Logins another process added are handed to `connect`
   * here too: run their connection under `ctx.leases`, so that it runs in one process.
   */
  disconnect?(login: UserLogin): Promise<void>;
  /**
   * Whether a Matrix user's messages need a login (or a relay) to be carried. Default
   * true; a plugin that also puppets users without a login says false.
   */
  readonly required?: boolean;
  /**
   * How a relayed message reads on the remote side. Default `<name> text`, and
   * `* name text` for an emote.
   */
  relayFormat?(sender: RelaySender, text: string, kind: 'text' | 'emote' | 'notice'): string;
}

/** Who a relayed message is from. */
export interface RelaySender {
  readonly userId: string;
  /** Their display name in the room (or localpart), one line. */
  readonly displayName: string;
}

/**
 * Set on `HandlerScope.relay` when the event goes out through the portal's relay (the
 * sender has no login and relay is on in the room): send it as the relay account, with
 * `format` for the text.
 */
export interface RelayInfo {
  readonly sender: RelaySender;
  /** The plugin's `relayFormat`, or the default: `<name> text`. */
  format(text: string, kind?: 'text' | 'emote' | 'notice'): string;
}

/** `ctx.logins`: the plugin's side of the login store. */
export interface PluginLogins {
  /** Reports a login's state. A state that needs the user (bad credentials, logged out) is told to them once per change. */
  report(loginId: string, state: LoginStateName, message?: string): Promise<void>;
  /** A user's logins (empty when none). */
  forUser(userId: string): readonly UserLogin[];
  get(loginId: string): UserLogin | undefined;
  /** Removes a login from bridgekit's side (the remote network revoked it for good): as logout, without asking the plugin. */
  remove(loginId: string): Promise<void>;
}
