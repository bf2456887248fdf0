export { HomeserverApi, type HomeserverApiOptions, type FromRegistrationOptions } from './homeserver-api.js';
export {
  HomeserverClient, type HomeserverClientOptions, type RequestOptions, type ResponseInfo, type RetryWaitInfo, type Query, type QueryValue,
} from './client.js';
export {
  HomeserverRequestError, MatrixError, RequestTimeoutError, NetworkError, ResponseFormatError, MediaTooLargeError,
  isMatrixError, isRequestTimeout, isOutcomeUnknown,
} from './errors.js';
export { DEFAULT_RETRY_POLICY, type RetryPolicy } from './retry-policy.js';
export { route, type Route } from './route.js';
export { deriveTxnId, randomTxnId, type TxnIdParts } from './txn-ids.js';
export { SentEventLog, type SentEvent } from './sent-events.js';
export { RegisteredUsers } from './registered-users.js';
export type { ActingOptions } from './api/acting.js';
export type { SendOptions, StateOptions, RedactOptions, EventsApi } from './api/events.js';
export type { JoinOptions, ReasonOptions, JoinedMember, MembershipApi } from './api/membership.js';
export type { StateFetcher, RoomsApi } from './api/rooms.js';
export type { Profile, ProfileApi } from './api/profile.js';
export type { Presence, ReceiptOptions, EphemeralApi } from './api/ephemeral.js';
export type { Visibility, ResolvedAlias, DirectoryApi } from './api/directory.js';
export type { UploadOptions, DownloadOptions, MediaDownload, MediaStream, MediaApi } from './api/media.js';
export { parseMxc, DEFAULT_MAX_DOWNLOAD_BYTES } from './api/media.js';
export type { RegisterResult, Versions, AccountApi } from './api/account.js';
export type { AppserviceApi } from './api/appservice.js';
