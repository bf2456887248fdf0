/**
 * # The bridge plugin contract
 *
 * This is the one file a bridge author reads. A plugin is an object with a name, the
 * capabilities it supports, and handlers; bridgekit does the rest: it receives every
 * event from the homeserver exactly once, keeps the room mirror, creates portal rooms
 * and ghosts, maps ids, suppresses echoes and retries failures.
 *
 * Rules every handler can rely on, and must keep:
 * - **Order.** Handlers for one room are called one at a time, in the homeserver's order.
 *   Different rooms run concurrently.
 * - **The room as it stands.** `room` is the mirror's view right after the event.
 * - **Once, or retried.** A handler that throws is retried with backoff (and finally kept
 *   as a dead letter). So make effects idempotent: writes through `scope.kv` are committed
 *   atomically with the event's acknowledgement; sends through puppets take
 *   `scope.idempotencyKey` so a retry posts nothing twice.
 * - **Declared capabilities only.** A handler for a capability the plugin does not declare
 *   is never called; the Matrix user gets a notice saying the bridge cannot carry it.
 * - **No echoes.** Events sent by the bridge's own users (the bot and ghosts) are never
 *   handed to the plugin as Matrix-side events.
 * - **Remote events through `ctx.remote.push`.** Never post remote messages with puppets
 *   directly: `push` creates the portal and ghost, orders per portal and drops repeats.
 */
import type { Logger } from '../log/logger.js';
import type { JsonObject, RoomEvent } from '../events/types.js';
import type { StandardSchemaV1 } from './standard-schema.js';
import type { RemoteEvent, RemoteUser, RemoteChannel, PushResult } from './remote-events.js';
import type {
  MatrixMessage, MatrixEdit, MatrixReaction, MatrixRedaction, MembershipChange, StateChange,
  TypingUpdate, ReceiptUpdate, PresenceUpdate, UndecryptableEvent, EncryptionInfo, MatrixMedia,
} from './matrix-events.js';
import type { EncryptedFile } from '../crypto/attachments.js';
import type { PluginRoomView, PluginPuppet, PluginPuppets } from './services.js';
import type { Mappings } from './mappings.js';
import type { KeyValue } from './kv.js';
import type { BotCommand } from '../bot/command.js';
import type { PluginHttp } from './http.js';
import type { MediaDownload } from '../homeserver/index.js';
import type { GuardedResponse } from '../net/index.js';
import type { PluginProvisioning } from './provisioning.js';
import type { LoginSupport, PluginLogins, RelayInfo, UserLogin } from '../logins/contract.js';
import type { PluginStatus } from '../status/contract.js';
import type { PluginLeases } from './leases.js';
import type { BridgeInfo, BridgeInfoSection } from './bridge-info/types.js';
import type { HistoryMessage, HistoryRequest } from './remote/history.js';
import type { RoomUpgrade } from './upgrades/types.js';

export type { RemoteEvent, RemoteUser, RemoteChannel, PushResult };
export type { BridgeInfo, BridgeInfoSection, HistoryMessage, HistoryRequest, RoomUpgrade };
export type {
  MatrixMessage, MatrixEdit, MatrixReaction, MatrixRedaction, MembershipChange, StateChange,
  TypingUpdate, ReceiptUpdate, PresenceUpdate, UndecryptableEvent, EncryptionInfo, MatrixMedia, EncryptedFile,
};

/** What the plugin can carry across. Anything left out is refused with a notice. */
export interface Capabilities {
  readonly messages?: boolean;
  readonly edits?: boolean;
  readonly reactions?: boolean;
  readonly redactions?: boolean;
  /**
   * With it, replies arrive with `replyTo` and without their fallback (`<mx-reply>` and the
   * `> ` quote lines are stripped). Without it, replies arrive as plain messages (their fallback text).
   */
  readonly replies?: boolean;
  /** Without it, thread messages arrive as plain messages. */
  readonly threads?: boolean;
  /** Files, images, audio, video. */
  readonly media?: boolean;
  readonly typing?: boolean;
  readonly receipts?: boolean;
  readonly presence?: boolean;
  /** Remote names and avatars onto ghosts. */
  readonly profile?: boolean;
  /** Matrix joins, leaves, kicks and bans to the remote side. */
  readonly membership?: boolean;
  /** Room name, topic, avatar to the remote side. */
  readonly roomMetadata?: boolean;
}

export type Capability = keyof Capabilities;

/** Given to `start`: everything a plugin uses for its whole life. */
export interface PluginContext<Config = unknown> {
  /** The plugin's own config section, validated by `configSchema`. */
  readonly config: Config;
  readonly logger: Logger;
  /** The bridge bot. */
  readonly bot: PluginPuppet;
  /** Ghosts (virtual users) by Matrix id or by remote user. */
  readonly puppets: PluginPuppets;
  /** The mirror's view of any room. */
  room(roomId: string): Promise<PluginRoomView | undefined>;
  /** Remote channel ↔ portal room, remote user ↔ ghost, remote message ↔ event. */
  readonly mappings: Mappings;
  /** The plugin's own key-value data (outside handlers; in handlers use `scope.kv`). */
  readonly kv: KeyValue;
  /** Remote → Matrix: every remote happening goes through here. */
  readonly remote: {
    push(event: RemoteEvent): Promise<PushResult>;
  };
  /** HTTP routes on the bridge's own listener, under `/bridge/<plugin name>/`. */
  readonly http: PluginHttp;
  /** The homeserver's server name (`localhost` in `@bot:localhost`). */
  readonly domain: string;
  /** Remote user id ↔ ghost user id, remote channel id ↔ portal alias (the bridge's prefix and domain). */
  readonly ghosts: {
    userId(remoteUserId: string): string;
    /** Undefined when `userId` is not one of this bridge's ghosts. */
    remoteUserId(userId: string): string | undefined;
    alias(remoteChannelId: string): string;
  };
  /** Matrix media for the remote side. */
  readonly media: {
    /**
     * A link people outside Matrix can open (the bridge relays it, signed; homeservers now
     * require authentication for media). Undefined without `bridge.publicUrl`.
     */
    url(mxc: string, filename?: string): string | undefined;
    /**
     * The media's bytes, downloaded as the appservice (at most `bridge.mediaMaxBytes`). Give
     * a message's `media` to have an encrypted file (`media.file`, from an encrypted room)
     * decrypted and its hash checked; an mxc URI alone is downloaded as it is.
     */
    download(media: string | MatrixMedia): Promise<MediaDownload>;
    /**
     * A URL someone outside chose (an attachment, an image in a remote message): fetched
     * through bridgekit's guarded fetcher (config `outbound`: private addresses refused,
     * redirects judged again, at most `bridge.mediaMaxBytes`, a deadline). Never fetch such
     * URLs any other way. Fails with OutboundFetchError.
     */
    fetchRemote(url: string): Promise<GuardedResponse>;
  };
  /** Users' logins (docs/logins.md): report their states, look them up. Empty unless the plugin declares `logins`. */
  readonly logins: PluginLogins;
  /**
   * Remote connections that are not users' logins (the IRC bot's, a webhook's target): report
   * each one's state, forget it when it goes (docs/provisioning.md). Shown in `/status` and `/metrics`.
   */
  readonly status: PluginStatus;
  /**
   * Remote connections that must exist once however many bridge processes run (an IRC
   * connection per login): each runs in one process of the cluster, taken over when that
   * one goes. In one-process mode they simply run (docs/scaling.md).
   */
  readonly leases: PluginLeases;
}

/** Given with each Matrix-side event. */
export interface HandlerScope {
  readonly logger: Logger;
  /** Writes commit atomically with this event's acknowledgement. Reads see them. */
  readonly kv: KeyValue;
  /** Stable per event: pass it to puppet sends so a retried handler posts once. */
  readonly idempotencyKey: string;
  /** 1 on the first try. */
  readonly attempt: number;
  /** True when throwing now makes the event a dead letter: the time to tell the user it failed. */
  readonly lastAttempt: boolean;
  /**
   * The sender's logins (docs/logins.md), to send through one of them. Empty when they
   * have none, the event has no single sender, or the plugin declares no `logins`.
   */
  readonly logins: readonly UserLogin[];
  /**
   * Set when the sender has no login and the portal's relay is on (docs/relay.md): send
   * through the relay account, the text made with `relay.format`.
   */
  readonly relay?: RelayInfo;
  /**
   * Gives `message` (JSON) to the connection run under `key` (`ctx.leases.run` with a
   * `deliver`), wherever it runs (docs/scaling.md). Running in this process with nothing
   * waiting before it: delivered now, awaited (a throw fails this handler, which is
   * retried). Otherwise written with this event's writes, so committed with its
   * acknowledgement (a retry writes the same message again, not a second one), and
   * delivered by the connection's holder, in order.
   */
  forward(key: string, message: unknown): Promise<void>;
}

export interface BridgePlugin<Config = unknown> {
  /** Lowercase, used in store keys, log lines and HTTP paths. */
  readonly name: string;
  readonly capabilities: Capabilities;
  /** Validates the `bridge.config` section; errors name the key. */
  readonly configSchema?: StandardSchemaV1<unknown, Config>;
  /** Bot commands, in addition to the built-in `help`. */
  readonly commands?: ReadonlyArray<BotCommand>;
  /**
   * Users log in to the remote network with their own accounts (docs/logins.md): bridgekit
   * adds the `login`, `logout`, `logins` and `relay` commands, stores the logins and hands
   * each Matrix event the sender's logins (`scope.logins`) or the portal's relay (`scope.relay`).
   */
  readonly logins?: LoginSupport;
  /**
   * Cluster mode (docs/scaling.md): `spread` (the default) shares rooms and connections out
   * among the live processes (a handler gives work to a connection running elsewhere with
   * `scope.forward`); `leader` gives all of them to one process (the holder of the cluster's
   * leader lease) while the others journal transactions and stand by to take over: for a
   * plugin whose Matrix-side sends use its remote connections directly rather than by
   * forwarding. `cluster.placement` in the config overrides it.
   */
  readonly clusterPlacement?: 'spread' | 'leader';
  /**
   * What every portal's `m.bridge` state event (MSC2346, with its unstable twin
   * `uk.half-shot.bridge`) says: protocol and network, here; each channel from its
   * `RemoteChannel`. Called once at start with the validated plugin config (e.g. the server
   * a bridge connects to). Without it, portals carry no bridge info. See docs/bridge-info.md.
   */
  bridgeInfo?(config: Config): BridgeInfo;

  /** Called once before any event; connect to the remote network here. */
  start(ctx: PluginContext<Config>): Promise<void>;
  /** Called on shutdown after the last event; disconnect here. */
  stop?(): Promise<void>;

  // Matrix → remote. `room` is the mirror's view right after the event.
  onMessage?(message: MatrixMessage, room: PluginRoomView, scope: HandlerScope): Promise<void>;
  onEdit?(edit: MatrixEdit, room: PluginRoomView, scope: HandlerScope): Promise<void>;
  onReaction?(reaction: MatrixReaction, room: PluginRoomView, scope: HandlerScope): Promise<void>;
  onRedaction?(redaction: MatrixRedaction, room: PluginRoomView, scope: HandlerScope): Promise<void>;
  onMembership?(change: MembershipChange, room: PluginRoomView, scope: HandlerScope): Promise<void>;
  onRoomState?(change: StateChange, room: PluginRoomView, scope: HandlerScope): Promise<void>;
  onTyping?(update: TypingUpdate, room: PluginRoomView, scope: HandlerScope): Promise<void>;
  onReceipt?(update: ReceiptUpdate, room: PluginRoomView, scope: HandlerScope): Promise<void>;
  /** Only for users the bridge shares a portal with. */
  onPresence?(update: PresenceUpdate, scope: HandlerScope): Promise<void>;

  // The homeserver asks about ids in the bridge's namespaces.
  /** Does this remote user exist? bridgekit registers the ghost and sets its profile. */
  lookupUser?(remoteUserId: string): Promise<RemoteUser | undefined>;
  /** Does this remote channel exist? bridgekit creates the portal with the alias. */
  lookupChannel?(remoteChannelId: string): Promise<RemoteChannel | undefined>;

  /**
   * The channel's history, for a network that keeps it: messages between `after` (the last
   * one bridged, exclusive) and `before` (exclusive), oldest first, at most `limit` (the
   * newest ones if there are more), each with its remote `ts`. Asked when a portal is made
   * and on a channel's first event after a start; bridgekit posts them before anything live
   * of that portal, skipping any already bridged. Forward only: Matrix has no way to insert
   * into the past. See docs/backfill.md.
   */
  fetchHistory?(channel: RemoteChannel, request: HistoryRequest): Promise<readonly HistoryMessage[]>;

  /**
   * A portal was upgraded and bridgekit followed it: the bot and the ghosts are in the new
   * room and the channel maps to it. Rooms the plugin keeps by id move here. Nothing is sent
   * to the old room any more (puppets refuse, naming the replacement). See docs/room-upgrades.md.
   */
  onRoomUpgrade?(upgrade: RoomUpgrade): Promise<void>;

  /** Any other event in a room the bridge is in (custom types), after the mirror saw it. */
  onOtherEvent?(event: RoomEvent, room: PluginRoomView, scope: HandlerScope): Promise<void>;

  /**
   * An encrypted message bridgekit could not read (its key never came within
   * `encryption.keyWaitSeconds`, or encryption is off), e.g. to tell the remote side that
   * something was said. The bot has already told the room, once. Decrypted events never
   * come here: they arrive as messages, edits and reactions with `encryption` set. If the
   * key comes later, the same event arrives again, decrypted, with `encryption.late: true`.
   */
  onUndecryptable?(event: UndecryptableEvent, room: PluginRoomView, scope: HandlerScope): Promise<void>;

  /** Resolve, direct chats, bridge and unbridge in the provisioning API (docs/provisioning.md). */
  readonly provisioning?: PluginProvisioning;
}

/** Helper for authors: returns the plugin unchanged, with its config type inferred. */
export function definePlugin<Config>(plugin: BridgePlugin<Config>): BridgePlugin<Config> {
  return plugin;
}

export type { JsonObject };
