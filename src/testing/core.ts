import type { Logger } from '../log/logger.js';
import type { Registration } from '../registration/index.js';
import { AppserviceApi } from './appservice-api.js';
import { AppserviceInterest } from './appservice-interest.js';
import { AppservicePusher, type EphemeralKey } from './appservice-pusher.js';
import { AppserviceScope } from './appservice-scope.js';
import { AliasDirectory } from './directory.js';
import { EphemeralService } from './ephemeral.js';
import { FaultInjector } from './faults.js';
import { MediaStore } from './media.js';
import { OpenIdTokens } from './openid.js';
import type { RoomAuthorizer } from './room-auth.js';
import { RoomRegistry } from './rooms.js';
import { TransactionCache } from './txn-cache.js';
import { UserDirectory } from './users.js';

/** The registered appservice and everything the homeserver uses to talk to it. */
export interface AppserviceLink {
  readonly registration: Registration;
  readonly scope: AppserviceScope;
  readonly api: AppserviceApi;
  readonly pusher: AppservicePusher;
  readonly interest: AppserviceInterest;
}

export interface CoreSettings {
  readonly serverName: string;
  readonly defaultRoomVersion: string;
  /** Timeout for ping and user/alias queries to the appservice. */
  readonly queryTimeoutMs: number;
  readonly typingTimeoutMs: number;
  /** The unauthenticated media download still works. */
  readonly legacyMedia: boolean;
  /** How long an OpenID token is valid (Synapse: one hour). */
  readonly openIdTokenLifetimeMs: number;
  readonly push: {
    readonly timeoutMs: number;
    readonly retryBaseMs: number;
    readonly retryMaxMs: number;
    readonly ephemeralKey: EphemeralKey;
  };
}

/** The homeserver's state and services, shared by every route. Survives a restart. */
export class HomeserverCore {
  readonly users: UserDirectory;
  readonly rooms: RoomRegistry;
  readonly directory = new AliasDirectory();
  readonly media: MediaStore;
  readonly faults = new FaultInjector();
  readonly txnCache = new TransactionCache();
  readonly ephemeral: EphemeralService;
  readonly openId: OpenIdTokens;
  readonly appservice: AppserviceLink | undefined;
  /**
   * Appservices registered for their tokens only (`url: null`, nothing pushed), e.g. the
   * one operators add for double puppeting: its non-exclusive namespace holds real users.
   */
  readonly tokenOnlyAppservices: readonly AppserviceScope[];

  constructor(
    readonly settings: CoreSettings,
    authorizer: RoomAuthorizer,
    registration: Registration | undefined,
    readonly log: Logger,
    tokenOnly: readonly Registration[] = [],
  ) {
    this.users = new UserDirectory(settings.serverName);
    this.rooms = new RoomRegistry(settings.serverName, authorizer);
    this.media = new MediaStore(settings.serverName);
    this.openId = new OpenIdTokens(settings.openIdTokenLifetimeMs);
    this.ephemeral = new EphemeralService(this);
    if (registration) this.appservice = this.linkAppservice(registration);
    this.tokenOnlyAppservices = tokenOnly.map((r) => {
      this.users.register(r.sender_localpart, true);
      return new AppserviceScope(r, settings.serverName);
    });
  }

  /** The appservice whose `as_token` this is (the pushed one or a token-only one). */
  appserviceForToken(token: string | undefined): AppserviceScope | undefined {
    if (token === undefined) return undefined;
    if (this.appservice && token === this.appservice.registration.as_token) return this.appservice.scope;
    return this.tokenOnlyAppservices.find((scope) => scope.registration.as_token === token);
  }

  get serverName(): string {
    return this.settings.serverName;
  }

  private linkAppservice(registration: Registration): AppserviceLink {
    const scope = new AppserviceScope(registration, this.settings.serverName);
    const api = new AppserviceApi(registration);
    const pusher = new AppservicePusher(api, { ...this.settings.push, pushEphemeral: scope.wantsEphemeral }, this.log);
    const interest = new AppserviceInterest(scope, this.directory, this.rooms);
    // Synapse creates the appservice's bot user itself.
    this.users.register(registration.sender_localpart, true);
    this.rooms.onEvent((room, stored) => {
      if (api.hasUrl && interest.inEvent(room, stored.event)) pusher.enqueueEvent(stored);
    });
    return { registration, scope, api, pusher, interest };
  }
}
