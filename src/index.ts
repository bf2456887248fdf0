/**
 * matrix-bridgekit: what a bridge author builds and runs against. Everything else is
 * internal and may change in any release. This list is checked by test/api (the committed
 * report is api/exports.json): keep it grouped by topic, and add to the group you touch.
 */

// ── The plugin contract (src/plugin/contract.ts) ─────────────────────────────────────────
export { definePlugin } from './plugin/contract.js';
export type { BridgePlugin, PluginContext, HandlerScope, Capabilities, Capability } from './plugin/contract.js';
export type { BridgeInfo, BridgeInfoSection } from './plugin/bridge-info/types.js';
export type { HistoryMessage, HistoryRequest } from './plugin/remote/history.js';
export type { RoomUpgrade } from './plugin/upgrades/types.js';
export type { StandardSchemaV1, StandardResult, StandardIssue } from './plugin/standard-schema.js';

// ── Matrix → remote: what the handlers receive ───────────────────────────────────────────
export type {
  MatrixMessage, MatrixMedia, EncryptedFile, EncryptionInfo, UndecryptableEvent, MatrixEdit, MatrixReaction, MatrixRedaction, MembershipChange, StateChange,
  TypingUpdate, ReceiptUpdate, PresenceUpdate,
} from './plugin/contract.js';
export type { JsonObject, RoomEvent, StateEvent } from './events/types.js';
export type { StrippedStateEvent } from './events/invite-state.js';

// ── Remote → Matrix: what `ctx.remote.push` takes ────────────────────────────────────────
export type { RemoteEvent, RemoteUser, RemoteChannel, RemoteMedia, InChannel, PushResult } from './plugin/remote-events.js';

// ── Services in the context: rooms, puppets, mappings, storage, HTTP, media ──────────────
export type { PluginRoomView, PluginPuppet, PluginPuppets } from './plugin/services.js';
export type { MemberInfo, SpaceLink, RoomVersionRules, RedactionRules } from './mirror/index.js';
export type { PowerLevels, Membership, Verdict, GrantAnswer } from './mirror/index.js';
export type { RoomQuestions } from './mirror/room-questions.js';
export type {
  RequestControls, JoinOptions, ReasonOptions, SendOptions, MessageOptions, MediaUpload, MediaData, RedactOptions,
  StateOptions, RoomProfile, ReceiptOptions, Typing, TypingOptions, CreateRoomOptions, SpaceLinkOptions, InitialState,
  MessageContent, HtmlText, Mentions, ThreadTarget, MediaKind, MediaInfo, Location,
} from './puppets/index.js';
export type { Presence, Visibility } from './homeserver/index.js';
export type { Mappings } from './plugin/mappings.js';
export type { KeyValue } from './plugin/kv.js';
export type { PluginHttp, PluginRequest, PluginResponse, PluginRouteHandler, PluginRouteOptions } from './plugin/http.js';
export type { MediaDownload } from './homeserver/index.js';
export { NotAPuppetError, PermissionDenied, type PermissionDeniedInit } from './puppets/errors.js';

// ── Logins, relay and permissions (src/logins, src/permissions) ─────────────────────────
export type {
  LoginSupport, LoginFlow, LoginField, LoginFieldType, LoginStep, LoginProcess, LoginUser, CompletedLogin,
  LoginStateName, LoginStatus, UserLogin, LoginWithCredentials, PluginLogins, RelayInfo, RelaySender,
} from './logins/contract.js';
export { LOGIN_STATES, SECRET_FIELD_TYPES } from './logins/contract.js';
export { LoginError, type LoginErrorCode } from './logins/errors.js';
export type { LoginService, LoginProcessView, LoginStepView } from './logins/service.js';
export type { ConnectionReport, ConnectionStatusEntry, PluginStatus } from './status/index.js';
export type { PluginLeases, LeasedConnection, ConnectionLease, DeliveryAttempt } from './plugin/leases.js';
export { Permissions, PERMISSION_LEVELS, type PermissionLevel, type PermissionsConfig, type PermissionCheck } from './permissions/index.js';

// ── The provisioning API's plugin hooks (docs/provisioning.md) ──────────────────────────
export { ProvisioningRefusal } from './plugin/provisioning.js';
export type {
  PluginProvisioning, ProvisioningCaller, ResolvedIdentifier, BridgeRoomRequest, BridgeRoomResult, UnbridgeRoomRequest,
} from './plugin/provisioning.js';

// ── Bot commands ─────────────────────────────────────────────────────────────────────────
export type { BotCommand, CommandInvocation } from './bot/command.js';
export { RoomAdminRefused, type RoomAdminResult } from './bot/room-admin.js';

// ── Running a bridge from your own program (`bridgekit run` does the same) ───────────────
export { startBridge, type StartBridgeOptions, type RunningBridge } from './runtime/bridge.js';
export { loadConfig, validateConfig, ConfigError } from './config/index.js';
export type { BridgeConfig, BridgeConfigInput } from './config/index.js';
export { loadRegistration, buildRegistration, writeRegistration, type Registration } from './registration/index.js';
export { createLogger, silentLogger, type Logger, type LoggerOptions } from './log/logger.js';

// ── Errors a homeserver call can throw ───────────────────────────────────────────────────
export {
  HomeserverRequestError, MatrixError, RequestTimeoutError, NetworkError, ResponseFormatError, MediaTooLargeError,
  isMatrixError, isRequestTimeout, isOutcomeUnknown,
} from './homeserver/index.js';

// ── Helpers for bridges ──────────────────────────────────────────────────────────────────
export { TokenBucket } from './util/token-bucket.js';
export { parseMxc } from './homeserver/index.js';

// ── Formatting: HTML from remote networks, display names ─────────────────────────────────
export { sanitizeMatrixHtml, withSanitizedHtml, MATRIX_HTML_TAGS } from './format/index.js';
export { cleanDisplayName, comparableName, MAX_DISPLAY_NAME } from './format/index.js';
export {
  htmlToText, markdownToHtml, textToHtml, formatHtml, formatMarkdown, parseMatrixTo, matrixToLink, userPill, roomPill, mentionedUsers,
  stripReplyFallback, stripHtmlReplyFallback, stripBodyReplyFallback, plainTextFormat, markdownFormat, escapeHtml, walkHtml,
} from './format/index.js';
export type { HtmlToTextOptions, FormattedText, MatrixToTarget, NetworkFormat, MatrixText, HtmlVisitor } from './format/index.js';

// ── Double puppeting: the content key of events the bridge sent as real users ────────────
export { DOUBLE_PUPPET_MARKER } from './puppets/double/index.js';

// ── Fetching URLs that people outside the operator choose (SSRF guard) ───────────────────
export { fetchGuarded, type GuardedFetchOptions, type GuardedResponse } from './net/index.js';
export { guardedLookup, refusedTarget, classifyAddress, isPublicAddress, type AddressClass } from './net/index.js';
export { OutboundFetchError, PrivateTargetError, PRIVATE_TARGET, type OutboundFetchReason } from './net/index.js';
