import type { Registration } from '../registration/schema.js';
import type { Store } from '../store/store.js';
import { AccountApi } from './api/account.js';
import { AppserviceApi } from './api/appservice.js';
import { DirectoryApi } from './api/directory.js';
import { EphemeralApi } from './api/ephemeral.js';
import { EventsApi } from './api/events.js';
import { MediaApi } from './api/media.js';
import { MembershipApi } from './api/membership.js';
import { ProfileApi } from './api/profile.js';
import { RoomsApi } from './api/rooms.js';
import { HomeserverClient, type HomeserverClientOptions } from './client.js';
import { RegisteredUsers } from './registered-users.js';
import { SentEventLog } from './sent-events.js';

export interface HomeserverApiOptions extends HomeserverClientOptions {
  readonly appserviceId: string;
  /** Where keyed sends and registered users are remembered; without it, only derived txnIds dedupe. */
  readonly store?: Store;
}

export type FromRegistrationOptions = Omit<HomeserverApiOptions, 'asToken' | 'botUserId' | 'appserviceId'> & {
  /** The homeserver's server name, e.g. `example.org`. */
  readonly domain: string;
};

/** The client-server API as an appservice uses it, endpoint methods grouped by job. */
export class HomeserverApi {
  readonly client: HomeserverClient;
  readonly membership: MembershipApi;
  readonly rooms: RoomsApi;
  readonly events: EventsApi;
  readonly profile: ProfileApi;
  readonly ephemeral: EphemeralApi;
  readonly directory: DirectoryApi;
  readonly media: MediaApi;
  readonly account: AccountApi;
  readonly appservice: AppserviceApi;

  constructor(options: HomeserverApiOptions) {
    this.client = new HomeserverClient(options);
    this.membership = new MembershipApi(this.client);
    this.rooms = new RoomsApi(this.client);
    this.events = new EventsApi(this.client, options.store && new SentEventLog(options.store), this.client.log);
    this.profile = new ProfileApi(this.client);
    this.ephemeral = new EphemeralApi(this.client);
    this.directory = new DirectoryApi(this.client);
    this.media = new MediaApi(this.client);
    this.account = new AccountApi(this.client, options.store && new RegisteredUsers(options.store));
    this.appservice = new AppserviceApi(this.client, options.appserviceId);
  }

  static fromRegistration(registration: Registration, options: FromRegistrationOptions): HomeserverApi {
    return new HomeserverApi({
      ...options,
      asToken: registration.as_token,
      botUserId: `@${registration.sender_localpart}:${options.domain}`,
      appserviceId: registration.id,
    });
  }
}
