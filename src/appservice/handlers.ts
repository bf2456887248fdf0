import type { JsonObject } from '../events/types.js';

/** A third-party protocol's metadata (`GET /thirdparty/protocol/{protocol}`). */
export interface ThirdPartyProtocol {
  user_fields: string[];
  location_fields: string[];
  icon: string;
  field_types: Record<string, { regexp: string; placeholder: string }>;
  instances: Array<{ network_id: string; desc: string; icon?: string; fields: JsonObject }>;
}

export interface ThirdPartyUser {
  userid: string;
  protocol: string;
  fields: JsonObject;
}

export interface ThirdPartyLocation {
  alias: string;
  protocol: string;
  fields: JsonObject;
}

/**
 * What the endpoint asks of the bridge beyond transactions. Every method is optional:
 * a bridge that does not answer a query declines it (404).
 */
export interface QueryHandlers {
  /** Create the virtual user; resolve true only once it exists, false to decline. */
  queryUser?(userId: string): Promise<boolean>;
  /** Create the room and give it the alias; resolve true only once it exists. */
  queryAlias?(alias: string): Promise<boolean>;
  thirdPartyProtocol?(protocol: string): Promise<ThirdPartyProtocol | undefined>;
  thirdPartyUsers?(protocol: string | undefined, fields: Record<string, string>): Promise<ThirdPartyUser[]>;
  thirdPartyLocations?(protocol: string | undefined, fields: Record<string, string>): Promise<ThirdPartyLocation[]>;
  /** Called for every ping; `transactionId` is what the bridge passed to the homeserver's ping. */
  onPing?(transactionId: string | null): void;
}
