import { NO_LOGINS, pluginMedia } from './plugin-services.js';
import { openInbox } from './open-inbox.js';
import type Koa from 'koa';
import type { BridgeConfig } from '../config/index.js';
import { createAppserviceApp, listen, type RunningServer } from '../appservice/index.js';
import { HomeserverApi, MatrixError } from '../homeserver/index.js';
import type { BridgeInbox, ItemHandler } from '../inbox/index.js';
import {
  RoomCaches, SOLE_OWNER, connectionLeaseKey, importSharedJournal, type ConnectionLeaseService, type RoomOwnership, type SharedInbox,
} from '../cluster/index.js';
import { createLogger, type Logger } from '../log/logger.js';
import { Mirror } from '../mirror/index.js';
import { MediaLinks, MediaRelayCache, mediaProxyRoutes } from '../media/index.js';
import { Puppets } from '../puppets/index.js';
import { loadRegistration, Namespaces, type Registration } from '../registration/index.js';
import { Sections, Store } from '../store/index.js';
import type { BridgePlugin } from '../plugin/contract.js';
import { loadPlugin, validatePluginConfig } from '../plugin/loader.js';
import { PluginHost } from '../plugin/host.js';
import { pluginFacingMappings, StoredMappings } from '../plugin/mappings.js';
import { DirectKeyValue } from '../plugin/kv.js';
import { PluginRouter } from '../plugin/http-router.js';
import { GhostIds } from '../plugin/ghost-ids.js';
import { RemotePipeline } from '../plugin/remote/pipeline.js';
import { DoublePuppets } from '../puppets/double/index.js';
import { MemberRooms } from '../plugin/remote/member-rooms.js';
import { RoomUpgrades } from '../plugin/upgrades/room-upgrades.js';
import { queryHandlersFor } from '../plugin/queries.js';
import { BotCommands } from '../bot/commands.js';
import { Permissions } from '../permissions/index.js';
import type { LoginService } from '../logins/index.js';
import { BridgeLogins } from '../logins/bridge-logins.js';
import { BridgeMetrics, startMetricsServer, type MetricsServer } from '../metrics/index.js';
import { watchHomeserver } from './homeserver-watch.js';
import { bridgeStateProbe } from '../provisioning/bridge-state.js';
import { ConnectionStatus, type ConnectionStatusEntry } from '../status/index.js';
import { createProvisioning } from '../provisioning/index.js';

/** A plugin without logins sees none. */

/** How long a relayed media file is reused for more link requests (short: quarantined media stops soon). */
const MEDIA_KEEP_MS = 5 * 60_000;
import { BridgeEncryption } from './encryption.js';

export interface StartBridgeOptions {
  readonly config: BridgeConfig;
  /** The plugin object; loaded from `bridge.plugin` when omitted. */
  readonly plugin?: BridgePlugin<unknown>;
  readonly registration?: Registration;
  readonly logger?: Logger;
  /** How often ghosts' online/away presence is re-sent so the homeserver keeps it (default 60 s). */
  readonly presenceRefreshMs?: number;
  /** How long `/ready` reuses a homeserver probe (default 5 s). */
  readonly readyCacheMs?: number;
  /**
   * Ask the homeserver this often and warn in the log while it does not answer (and when it
   * answers again). Off unless set; `bridgekit run` sets 30 s.
   */
  readonly watchHomeserverMs?: number;
  /**
   * Koa middleware in front of every route of the bridge's listener, homeserver
   * transactions included: an IP allowlist, request logging, tracing.
   */
  readonly middleware?: readonly Koa.Middleware[];
  /**
   * @internal Which rooms this process holds, when several share one store (issue #21):
   * per-room caches keep only those. Default: every room (one process).
   */
  readonly ownership?: RoomOwnership;
  /**
   * The bridge cannot go on and has stopped handling (cluster mode: another process reaped
   * this one after its heartbeat lapsed). `bridgekit run` stops and exits non-zero, for its
   * supervisor to start it again. Without it, the error is logged only.
   */
  readonly onFatal?: (err: Error) => void;
}

/**
 * A bridge that `startBridge` started. The parts marked internal are for bridgekit's own
 * tests; they are left out of the published type declarations.
 */
export interface RunningBridge {
  /** Where the homeserver reaches the bridge (`appservice.bind`:`port`). */
  readonly url: string;
  readonly port: number;
  /** The metrics listener (`/metrics`, `/health`, `/ready`), when `metrics.enabled`. */
  readonly metricsUrl?: string;
  /** Stops accepting, lets running handlers finish, stops the plugin, closes the store. */
  stop(): Promise<void>;
  /** @internal */
  readonly store: Store;
  /** @internal */
  readonly mirror: Mirror;
  /** @internal */
  readonly inbox: BridgeInbox;
  /** @internal Per-room caches, emptied for a room whose lease moves (cluster mode). */
  readonly roomCaches: RoomCaches;
  /** @internal */
  readonly api: HomeserverApi;
  /** @internal */
  readonly puppets: Puppets;
  /** @internal The bridge bot: `makeRoomAdmin`, `managementRoom`. */
  readonly bot: BotCommands;
  /** @internal The login service (for the provisioning API and tests); undefined when the plugin has no logins. */
  readonly logins?: LoginService;
  /** @internal The plugin's connections that are not logins (ctx.status), as `/status` shows them (tests). */
  connections(): readonly ConnectionStatusEntry[];
}

/**
 * Composes a bridge: store → homeserver client → mirror → puppets → plugin host → inbox →
 * endpoint. The order of `stop` is the reverse, so nothing is handled against a closed part.
 */
export async function startBridge(options: StartBridgeOptions): Promise<RunningBridge> {
  const { config } = options;
  const logger = options.logger ?? createLogger({ level: config.logging.level });
  const registration = options.registration ?? await loadRegistration(config.appservice.registration, config);
  const namespaces = new Namespaces(registration, config.homeserver.domain);
  const plugin = options.plugin ?? await loadPlugin(config.bridge.plugin, config.configDir);
  const pluginConfig = await validatePluginConfig(plugin, config.bridge.config);
  const pluginLog = logger.child({ plugin: plugin.name });

  const metrics = config.metrics.enabled ? new BridgeMetrics({ plugin: plugin.name }) : undefined;
  const store = await Store.openConfigured({ ...config.store, shared: config.cluster.enabled });
  store.onReopened = (cause) => logger.warn({ cause, store: store.location }, 'store reopened to clear a write failure LevelDB kept after its cause was gone');
  const api = HomeserverApi.fromRegistration(registration, {
    baseUrl: config.homeserver.url, domain: config.homeserver.domain, store, logger,
    ...(metrics ? { onResponse: metrics.onResponse, onRetryWait: metrics.onRetryWait } : {}),
  });
  // Cluster mode: a room is held while this process leases its lane (nothing before the inbox is open).
  let sharedInbox: SharedInbox | undefined;
  let leases: ConnectionLeaseService | undefined;
  const ownership: RoomOwnership = options.ownership
    ?? (config.cluster.enabled ? { holds: (roomId) => sharedInbox?.holds(roomId) ?? false } : SOLE_OWNER);
  const roomCaches = new RoomCaches();
  const mirror = new Mirror({
    store, logger: logger.child({ component: 'mirror' }), fetchState: api.rooms.stateFetcher(),
    isOwnUser: (userId) => namespaces.isControlledUser(userId), ownership,
  });
  roomCaches.register('mirror', (roomId) => mirror.forgetRoom(roomId), () => mirror.forgetAllRooms());
  const puppets = new Puppets({ api, mirror, namespaces, store, logger });
  // A linked room's members are indexed at once (for presence and profile relay), also
  // when the plugin links a room it did not create.
  let memberRooms: MemberRooms | undefined;
  const mappings = new StoredMappings(store.section(Sections.mappings), (roomId) => memberRooms!.seedFromMirror(roomId));
  const ghosts = new GhostIds(config.appservice.prefix, config.homeserver.domain);
  const kvSection = store.section<unknown>(Sections.pluginData(plugin.name));
  const http = new PluginRouter(plugin.name, config.appservice.url);
  const mediaLinks = new MediaLinks(registration.as_token, config.bridge.publicUrl, { ttlSeconds: config.bridge.mediaLinkTtlSeconds });
  const mediaRelay = new MediaRelayCache({
    download: (mxc) => api.media.openDownload(mxc, { maxBytes: config.bridge.mediaMaxBytes }),
    maxBytes: config.bridge.mediaMaxBytes, cacheBytes: config.bridge.mediaCacheBytes, keepMs: MEDIA_KEEP_MS,
  });
  memberRooms = new MemberRooms(store, mirror, mappings);
  const secrets = config.doublePuppet.secrets;
  const doublePuppets = Object.keys(secrets).length === 0 ? undefined : new DoublePuppets({
    secrets, servers: config.doublePuppet.servers, ownDomain: config.homeserver.domain, ownUrl: config.homeserver.url,
    source: registration.id, puppets, mirror, store, logger: logger.child({ component: 'double-puppets' }),
  });
  let upgrades: RoomUpgrades | undefined;
  const remote = new RemotePipeline({
    puppets, mirror, mappings, ghosts, api, store, memberRooms, logger: pluginLog, doublePuppets,
    hasLogin: (userId, remoteId) => logins?.manager.forUser(userId).some((l) => l.remoteId === remoteId) ?? false,
    presenceRefreshMs: options.presenceRefreshMs ?? config.bridge.presenceRefreshSeconds * 1000,
    outbound: config.outbound,
    encryptNewPortals: config.encryption.enabled && config.encryption.default,
    bridgeInfo: plugin.bridgeInfo?.(pluginConfig),
    pluginName: plugin.name,
    ...(plugin.fetchHistory ? { fetchHistory: plugin.fetchHistory.bind(plugin) } : {}),
    backfillLimit: config.bridge.backfillLimit,
    currentRoom: (channelId, roomId) => upgrades!.current(channelId, roomId),
    predecessorOf: (roomId) => upgrades!.predecessor(roomId),
  });
  const permissions = new Permissions(config.permissions, config.bot.admins);
  let logins: BridgeLogins | undefined;
  try {
    logins = plugin.logins ? await BridgeLogins.open({
      support: plugin.logins, config: config.logins, configDir: config.configDir, store, permissions, bot: puppets.bot,
      commandPrefix: config.bot.prefix, logger: pluginLog.child({ component: 'logins' }),
      tellUser: async (userId, text, key) => {
        await puppets.bot.sendNotice(await commands.managementRoom(userId), text, { idempotencyKey: key });
      },
      isPortal: async (roomId) => await mappings.channelForRoom(roomId) !== undefined, ownership,
    }) : undefined;
  } catch (e) {
    await store.close();
    throw e;
  }
  // The plugin's view: a room it links itself (a plumbed room) gets its bridge info too, withdrawn when unlinked.
  const pluginMappings = pluginFacingMappings(mappings, remote);
  const commands = new BotCommands({
    plugin, puppets, mirror, namespaces, config: config.bot, logger: pluginLog, permissions,
    ...(logins ? { builtins: logins.commands, conversation: logins.conversation } : {}),
    managementSection: store.section<string>(Sections.botManagementRooms), locks: store,
    readPowerLevels: (roomId, asUser) => api.rooms.getStateContent(roomId, 'm.room.power_levels', '', { asUser }), ownership,
  });
  roomCaches.register('bot.managementRooms', (roomId) => commands.forgetRoom(roomId), () => commands.forgetAllRooms());
  if (logins) {
    const { relays } = logins;
    roomCaches.register('logins.relays', (roomId) => relays.forgetRoom(roomId), () => relays.forgetAll());
  }

  upgrades = new RoomUpgrades({
    mirror, puppets, namespaces, mappings, memberRooms, store, logger: pluginLog,
    inChannel: (channelId, task) => remote.runInChannel(channelId, task),
    linked: (channelId, roomId) => remote.linked(channelId, roomId),
    isManagementRoom: (roomId) => commands.isManagementRoom(roomId),
    managementRoomUpgraded: (oldRoomId, newRoomId) => commands.managementRoomUpgraded(oldRoomId, newRoomId),
    ...(plugin.onRoomUpgrade ? { onRoomUpgrade: plugin.onRoomUpgrade.bind(plugin) } : {}),
  });
  const roomUpgrades = upgrades;

  const notify = (roomId: string, text: string, key: string) => puppets.bot.sendNotice(roomId, text, { idempotencyKey: key }).then(() => undefined);
  const host = new PluginHost({
    plugin, mirror, namespaces, mappings, kvSection, memberRooms, logger: pluginLog, notify,
    ...(doublePuppets ? { doublePuppetSource: registration.id } : {}),
    intercept: (event, room, scope) => commands.intercept(event, room, scope),
    ...(logins ? { senders: logins.senders } : {}),
    // The leases are opened with the inbox (below), before any item is handled.
    forward: (key, message, via) => leases?.forward(connectionLeaseKey(plugin.name, key), message, via) ?? Promise.reject(new Error('the connection leases are not open yet')),
  });
  const handlePlain: ItemHandler = (item, ctx) => {
    if (item.kind !== 'event') return host.handle(item, ctx);
    // The mirror first: the plugin sees the room as it stands right after the event. Most
    // events it applies from memory; they go on to the host without an async call between.
    const applied = mirror.applyFromMemory(item.event, ctx.firstDelivery);
    if (applied && !roomUpgrades.watches(item.event)) return host.handle(item, ctx);
    return (async () => {
      if (!applied) await mirror.apply(item.event, { firstDelivery: ctx.firstDelivery });
      if (roomUpgrades.watches(item.event)) await roomUpgrades.observe(item.event);
      await host.handle(item, ctx);
    })();
  };
  let encryption: BridgeEncryption | undefined;
  try {
    // Before the inbox resumes anything: journaled to-device messages need the machine.
    if (config.encryption.enabled) {
      if (registration['org.matrix.msc3202'] !== true || registration['de.sorunome.msc2409.push_ephemeral'] !== true) {
        logger.warn({ appservice: registration.id }, 'encryption is enabled but the registration lacks org.matrix.msc3202 or de.sorunome.msc2409.push_ephemeral: keys will run out and to-device messages may not arrive (see bridgekit doctor)');
      }
      encryption = new BridgeEncryption({ config: config.encryption, store, api, mirror, namespaces, notify, logger: logger.child({ component: 'crypto' }) });
      // Cluster mode: only when this process takes the lead (openInbox), never in a standby.
      if (!config.cluster.enabled) await encryption.open();
    }
  } catch (e) {
    await store.close();
    throw e;
  }
  const handle: ItemHandler = encryption
    ? encryption.handler(async (event, ctx, crypto, original) => {
      // The encrypted event itself goes to the mirror (it is what the room holds), the plaintext to the plugin.
      await mirror.apply(original ?? event, { firstDelivery: ctx.firstDelivery });
      if (roomUpgrades.watches(event)) await roomUpgrades.observe(event);
      await host.handle({ kind: 'event', event }, ctx, crypto);
    }, handlePlain)
    : handlePlain;
  let inbox: BridgeInbox;
  try {
    const opened = await openInbox({
      config, store, handle, roomCaches, logger, metrics, placement: plugin.clusterPlacement, onFatal: options.onFatal,
      ...(encryption && config.cluster.enabled ? { crypto: encryption } : {}),
    });
    ({ inbox, leases } = opened);
    sharedInbox = opened.shared;
  } catch (e) {
    await encryption?.close();
    await store.close();
    throw e;
  }

  const connections = new ConnectionStatus(pluginLog.child({ component: 'status' }));
  let pluginStarted = false;
  let server: RunningServer;
  let metricsServer: MetricsServer | undefined;
  try {
    await plugin.start({
      config: pluginConfig,
      logger: pluginLog,
      bot: puppets.bot,
      puppets,
      room: (roomId) => mirror.room(roomId),
      mappings: pluginMappings,
      kv: new DirectKeyValue(kvSection),
      remote: { push: (event) => remote.push(event) },
      http,
      domain: config.homeserver.domain,
      ghosts,
      media: pluginMedia(api, config, mediaLinks),
      logins: logins?.manager ?? NO_LOGINS,
      status: connections,
      leases: leases.forPlugin(plugin.name),
    });
    pluginStarted = true;
    // Before any event: a user's first message after a restart finds their login connecting.
    await logins?.manager.restoreAll();
    if (config.cluster.enabled) logins?.followOthers(config.cluster.pollSeconds * 1000, logger.child({ component: 'logins' }));
    const loginService = logins?.manager;
    const provisioning = createProvisioning({
      config, pluginName: plugin.name, hooks: plugin.provisioning, permissions, logins: () => loginService,
      bridgeState: bridgeStateProbe(store, config.homeserver.url), connections: () => connections.list(), bot: puppets.bot, mirror, mappings, ghosts, remote,
      logger: logger.child({ component: 'provisioning' }),
    });
    const app = createAppserviceApp({
      registration,
      namespaces,
      sink: metrics ? metrics.countingSink(inbox) : inbox,
      handlers: queryHandlersFor({ plugin, ghosts, remote, logger: pluginLog }),
      maxBodyBytes: config.appservice.maxBodyBytes,
      logger: logger.child({ component: 'appservice' }),
      middleware: options.middleware,
      extraRoutes: [
        ...(mediaLinks.enabled ? mediaProxyRoutes({
          links: mediaLinks, relay: mediaRelay, maxBytes: config.bridge.mediaMaxBytes,
          maxConcurrent: config.bridge.mediaMaxConcurrent, logger: logger.child({ component: 'media' }),
        }) : []),
        ...http.middleware(),
        ...[provisioning].filter((m) => m !== undefined),
      ],
    });
    await inbox.start();
    // Cluster mode was switched off: what the cluster left unhandled is handled here.
    if (!config.cluster.enabled) await importSharedJournal(store, inbox, logger.child({ component: 'inbox' }));
    await encryption?.startLateDelivery((item, txnId, ops) => inbox.inject(item, txnId, ops));
    if (metrics) {
      metricsServer = await startMetricsServer({
        config: config.metrics, homeserverUrl: config.homeserver.url, metrics, store, inbox, mirror,
        logger: logger.child({ component: 'metrics' }), readyCacheMs: options.readyCacheMs,
        ...(logins ? { loginStates: () => logins!.manager.stateCounts() } : {}),
        connectionStates: () => connections.stateCounts(),
        ...(encryption ? { cryptoDeviceHeld: () => encryption!.held } : {}),
      });
    }
    server = await listen(app, config.appservice.bind, config.appservice.port);
    // Only now: each of the machines' first requests makes the homeserver push to the bridge,
    // and Synapse counts a refused push as the appservice being down (dropping to-device messages).
    await encryption?.begin().catch(async (err: unknown) => {
      await server.close();
      throw err;
    });
  } catch (e) {
    // Whatever failed (the plugin's start, a port in use), nothing may stay open behind it.
    await metricsServer?.close();
    await inbox.stop(0);
    await leases.close();
    await logins?.close();
    if (pluginStarted) await plugin.stop?.();
    await remote.close();
    puppets.close?.();
    await encryption?.close();
    await mirror.close();
    await inbox.close();
    await store.close();
    await mediaRelay.close();
    throw e;
  }
  logger.info({ url: server.url, metrics: metricsServer?.url, plugin: plugin.name, appservice: registration.id }, 'bridge listening');
  // Portals of an earlier run, one at a time: bridge info as the plugin says it now, history
  // caught up. Not in a cluster's standby (placement leader): the leader's sends are the ones that go.
  const portalSweep = (sharedInbox?.mayLease === false ? Promise.resolve({ infoSent: 0, caughtUp: 0 }) : remote.sweep(mappings.channels()))
    .then((done) => logger.info(done, 'existing portals brought up to date'))
    .catch((err: unknown) => logger.warn({ err }, 'could not bring the existing portals up to date'));
  const watch = options.watchHomeserverMs
    ? watchHomeserver({ url: config.homeserver.url, logger, intervalMs: options.watchHomeserverMs })
    : undefined;
  // The homeserver may still be starting: register the bot in the background (Registrar
  // says why); a failure to reach the homeserver is tried again when the bot first acts.
  void puppets.bot.ensureRegistered().catch((err: unknown) => logger.warn({ err, bot: puppets.bot.userId },
    err instanceof MatrixError
      ? 'the homeserver refused to register the bot; it acts through the as_token without a profile'
      : 'could not register the bot yet (homeserver unreachable); tried again when the bot first acts'));

  return {
    url: server.url, port: server.port, metricsUrl: metricsServer?.url, store, mirror, inbox, roomCaches, api, puppets, bot: commands,
    ...(logins ? { logins: logins.manager } : {}),
    connections: () => connections.list(),
    async stop() {
      watch?.stop();
      // Media readers are cut off (a client that stops reading must not hold up shutdown).
      const closing = server.close();
      await mediaRelay.close();
      await closing;
      await metricsServer?.close();
      await inbox.stop(config.inbox.shutdownTimeoutMs);
      // Before the plugin stops, while the process is still a member: each lease goes to another process.
      await leases.close();
      await logins?.close();
      await plugin.stop?.();
      // After the plugin: it may push until it stops; then presence refreshes end.
      await remote.close();
      await portalSweep;
      puppets.close?.();
      await encryption?.close();
      await mirror.close();
      await inbox.close();
      await store.close();
      await mediaRelay.close();
    },
  };
}
