import { z } from 'zod';
import { PERMISSION_LEVELS } from '../permissions/permissions.js';

const httpUrl = z.string({ error: 'must be an http(s) URL' }).refine((value) => {
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}, 'must be an http(s) URL');

const postgresUrl = z.string({ error: 'must be a postgres:// URL' }).refine((value) => {
  try {
    return /^postgres(ql)?:$/.test(new URL(value).protocol);
  } catch {
    return false;
  }
}, 'must be a postgres:// URL');

/** A Matrix localpart: the grammar of user IDs (lowercase, digits, `._=-/+`). */
const localpart = z.string({ error: 'must be a string' })
  .regex(/^[a-z0-9._=\-/+]+$/, 'must be a valid Matrix localpart (a-z, 0-9, ._=-/+)');

const positiveInt = z.number({ error: 'must be a number' }).int('must be an integer').positive('must be positive');

export const configSchema = z.strictObject({
  homeserver: z.strictObject({
    url: httpUrl,
    domain: z.string({ error: 'must be a string' }).min(1, 'must not be empty'),
  }, { error: 'must be a mapping' }),
  appservice: z.strictObject({
    id: z.string({ error: 'must be a string' }).min(1, 'must not be empty'),
    url: httpUrl.nullable(),
    bind: z.string({ error: 'must be a string' }).default('127.0.0.1'),
    port: z.number({ error: 'must be a number' }).int('must be an integer').min(0).max(65535, 'must be a port number'),
    registration: z.string({ error: 'must be a path' }).min(1, 'must not be empty'),
    bot: localpart,
    prefix: localpart,
    /** Largest request body accepted, in bytes (413 M_TOO_LARGE above it). */
    maxBodyBytes: positiveInt.default(16 * 1024 * 1024),
  }, { error: 'must be a mapping' }),
  /** The embedded Level store in a folder (`path`), or a PostgreSQL database (`url`): one of the two. */
  store: z.strictObject({
    path: z.string({ error: 'must be a path' }).min(1, 'must not be empty').optional(),
    /** `postgres://user:password@host:port/database` (docs/postgres.md). */
    url: postgresUrl.optional(),
    /** PostgreSQL: the schema holding bridgekit's tables (default `public`). */
    schema: z.string({ error: 'must be a string' }).regex(/^[a-z_][a-z0-9_]*$/, 'must be a lowercase SQL name (a-z, 0-9, _)').optional(),
    /** PostgreSQL: connections in the pool. */
    poolSize: positiveInt.optional(),
    sync: z.boolean({ error: 'must be true or false' }).default(false),
    /** LevelDB's block cache and memtable sizes (native memory; see store.ts for the defaults). */
    cacheBytes: positiveInt.optional(),
    writeBufferBytes: positiveInt.optional(),
  }, { error: 'must be a mapping' }).superRefine((store, ctx) => {
    if ((store.path === undefined) === (store.url === undefined)) {
      ctx.addIssue({ code: 'custom', message: 'must have either path (a Level folder) or url (PostgreSQL), not both or neither' });
    }
  }),
  bridge: z.strictObject({
    plugin: z.string({ error: 'must be a plugin name' }).min(1, 'must not be empty'),
    /** The plugin's own section, validated by the schema the plugin declares. */
    config: z.record(z.string(), z.unknown(), { error: 'must be a mapping' }).default({}),
    /** How often ghosts' online/away presence is re-sent, so the homeserver does not time it out. */
    presenceRefreshSeconds: positiveInt.default(60),
    /** Where people outside Matrix reach this bridge's listener (behind a reverse proxy): media links are made under it. */
    publicUrl: httpUrl.optional(),
    /** Largest media the bridge downloads or relays, in bytes. */
    mediaMaxBytes: positiveInt.default(50 * 1024 * 1024),
    /** How long a media link works after it is made (signed into the link). Default 7 days. */
    mediaLinkTtlSeconds: positiveInt.default(7 * 24 * 3600),
    /** Media link requests served at once; more are answered 429 M_LIMIT_EXCEEDED. */
    mediaMaxConcurrent: positiveInt.default(16),
    /** Disk the media relay may keep (temporary files, one download per media shared by all readers). */
    mediaCacheBytes: positiveInt.default(512 * 1024 * 1024),
    /**
     * Remote messages caught up per portal at most (the plugin's `fetchHistory`), when the
     * portal is made and at the first event after a start; 0 turns catch-up off.
     */
    backfillLimit: z.number({ error: 'must be a number' }).int('must be an integer').min(0, 'must be 0 or more').default(100),
  }, { error: 'must be a mapping' }),
  /**
   * Fetches of URLs that people outside the operator choose (remote avatars): private,
   * loopback, link-local and other non-public addresses are refused unless
   * `allowPrivateTargets` is set; redirects are judged again at every hop.
   */
  outbound: z.strictObject({
    allowPrivateTargets: z.boolean({ error: 'must be true or false' }).default(false),
    /** Private hosts trusted all the same (`avatars.internal`, `10.0.0.5:8080`); a redirect away from one is judged again. */
    trustedHosts: z.array(z.string().min(1, 'must not be empty'), { error: 'must be a list of host names' }).default([]),
    timeoutMs: positiveInt.default(30_000),
    maxRedirects: z.number({ error: 'must be a number' }).int('must be an integer').min(0).max(20).default(3),
  }, { error: 'must be a mapping' }).prefault({}),
  bot: z.strictObject({
    /** Commands start with this, e.g. `!help`. */
    prefix: z.string({ error: 'must be a string' }).min(1, 'must not be empty').default('!'),
    /**
     * Bridge administrators (typically homeserver admins): they pass every command's power
     * check, e.g. to take over a room with make-room-admin while they sit at 0 there.
     */
    admins: z.array(z.string().regex(/^@[^:]+:.+$/, 'must be a user ID'), { error: 'must be a list of user IDs' }).default([]),
    /** Who may invite the bot into rooms. Empty lists: anyone on the homeserver's own domain. */
    invites: z.strictObject({
      users: z.array(z.string().regex(/^@[^:]+:.+$/, 'must be a user ID'), { error: 'must be a list of user IDs' }).default([]),
      servers: z.array(z.string().min(1), { error: 'must be a list of server names' }).default([]),
    }, { error: 'must be a mapping' }).prefault({}),
  }, { error: 'must be a mapping' }).prefault({}),
  /**
   * Who may use the bridge (docs/permissions.md): user ID, server name or `*` → `none`,
   * `relay`, `user` or `admin`; the most specific key wins; `bot.admins` are `admin`.
   * Without this section: `{'*': user}` (anyone may use the bridge).
   */
  permissions: z.record(
    z.string().refine((key) => key === '*' || /^@[^:]+:.+$/.test(key) || /^[^@:\s][^\s]*$/.test(key), 'must be a user ID, a server name or *'),
    z.enum(PERMISSION_LEVELS, { error: `must be one of ${PERMISSION_LEVELS.join(', ')}` }),
    { error: 'must be a mapping of user ID, server name or * to a level' },
  ).default({ '*': 'user' }),
  /**
   * Users' logins to the remote network (docs/logins.md): their credentials are encrypted
   * with this key (AES-256-GCM). `encryptionKey` (at least 32 characters) or
   * `encryptionKeyFile` (a file holding one); the bridge refuses to start when logins are
   * stored and the key is missing or not the one they were stored with.
   */
  logins: z.strictObject({
    encryptionKey: z.string({ error: 'must be a string' }).min(32, 'must be at least 32 characters').optional(),
    encryptionKeyFile: z.string({ error: 'must be a path' }).min(1, 'must not be empty').optional(),
    /** How long a login that was started may wait for its next step. */
    stepTimeoutSeconds: positiveInt.default(600),
  }, { error: 'must be a mapping' }).prefault({}),
  inbox: z.strictObject({
    /** Unhandled items above which transactions are answered 503 until the backlog drains. */
    maxBacklog: positiveInt.default(20_000),
    /** Rooms handled at the same time. */
    concurrency: positiveInt.default(32),
    /** Handler attempts before an item becomes a dead letter. */
    maxAttempts: positiveInt.default(6),
    retryBaseMs: positiveInt.default(500),
    retryMaxMs: positiveInt.default(60_000),
    /** How long an event_id is remembered to drop redeliveries. */
    dedupeWindowHours: positiveInt.default(72),
    /**
     * Ids remembered at most (memory: ~32 bytes each); past half of this a new dedupe
     * generation starts early, so under extreme load the window can be shorter.
     */
    dedupeMaxIds: positiveInt.default(1_000_000),
    /** On SIGTERM, how long running handlers may take to finish. */
    shutdownTimeoutMs: positiveInt.default(10_000),
  }, { error: 'must be a mapping' }).prefault({}),
  /**
   * Prometheus `/metrics`, `/health` and `/ready` on their own listener. Without this
   * section: off (several bridges or test runs on one host would fight over 9100);
   * `metrics: {}` turns it on at 127.0.0.1:9100.
   */
  metrics: z.strictObject({
    enabled: z.boolean({ error: 'must be true or false' }).default(true),
    bind: z.string({ error: 'must be a string' }).default('127.0.0.1'),
    port: z.number({ error: 'must be a number' }).int('must be an integer').min(0).max(65535, 'must be a port number').default(9100),
  }, { error: 'must be a mapping' }).default({ enabled: false, bind: '127.0.0.1', port: 9100 }),
  /**
   * End-to-end encryption (docs/encryption.md). `enabled` gives the bot a device and reads
   * to-device messages and device data from transactions (the registration must opt in);
   * `allow` lets it read and write in encrypted rooms; `default` creates new portals
   * encrypted; `require` passes on no unencrypted message (the room is told once).
   */
  encryption: z.strictObject({
    enabled: z.boolean({ error: 'must be true or false' }).default(false),
    allow: z.boolean({ error: 'must be true or false' }).default(true),
    default: z.boolean({ error: 'must be true or false' }).default(false),
    require: z.boolean({ error: 'must be true or false' }).default(false),
    /** How long a message waits for its room key before it is passed on as undecryptable. */
    keyWaitSeconds: positiveInt.default(10),
    /** When the crypto store was lost: make a new device (logged as an error) instead of refusing to start. */
    newDeviceIfStoreLost: z.boolean({ error: 'must be true or false' }).default(false),
    /**
     * Cross-signing for the bot: its identity's private keys are kept in the store sealed
     * with `passphrase` (never logged). Without this section the bot is not cross-signed.
     */
    crossSigning: z.strictObject({
      passphrase: z.string({ error: 'must be a string' }).min(32, 'must be at least 32 characters (e.g. `openssl rand -hex 32`)'),
    }, { error: 'must be a mapping' }).optional(),
  }, { error: 'must be a mapping' }).prefault({}),
  /**
   * Double puppeting: what a user sends on the remote network from another client appears
   * in Matrix from their own Matrix account. `secrets`, per homeserver domain:
   * `as_token:<token>` of an appservice registered on that homeserver whose user namespace
   * (exclusive: false) holds its users; bridgekit logs in as them with it
   * (`m.login.application_service`). `servers`: client-server URLs of homeservers other
   * than this bridge's own, by domain. Users of a domain without a secret get their ghost.
   */
  doublePuppet: z.strictObject({
    secrets: z.record(
      z.string().min(1, 'must not be empty'),
      z.string({ error: 'must be a string' }).regex(/^as_token:\S+$/, 'must be as_token:<token>'),
      { error: 'must be a mapping of domain to secret' },
    ).default({}),
    servers: z.record(z.string().min(1, 'must not be empty'), httpUrl, { error: 'must be a mapping of domain to URL' }).default({}),
  }, { error: 'must be a mapping' }).prefault({}),
  /**
   * The provisioning API (docs/provisioning.md) under `/_matrix/provision/v1/` on the
   * bridge's listener: off without this section. Callers authenticate with a Matrix OpenID
   * token or, for trusted integrations, with `sharedSecret` and `?user_id=`.
   */
  provisioning: z.strictObject({
    enabled: z.boolean({ error: 'must be true or false' }).default(true),
    /** For trusted integrations (`Authorization: Bearer <sharedSecret>` plus `?user_id=`); no secret, no such access. */
    sharedSecret: z.string({ error: 'must be a string' }).min(32, 'must be at least 32 characters').optional(),
    /** Browser origins allowed to call the API (CORS), e.g. `https://app.example.org`; `*` for any. */
    allowedOrigins: z.array(z.string().min(1, 'must not be empty'), { error: 'must be a list of origins' }).default([]),
    /**
     * Accept OpenID tokens of users on other homeservers, checked at `https://<their server
     * name>/_matrix/federation/v1/openid/userinfo` through the guarded fetcher. Off: only
     * users of `homeserver.domain`.
     */
    federatedOpenId: z.boolean({ error: 'must be true or false' }).default(false),
    /** How long a checked OpenID token is trusted without asking again (at most until its expiry as far as known). */
    openIdCacheSeconds: z.number({ error: 'must be a number' }).int('must be an integer').min(0).default(300),
  }, { error: 'must be a mapping' }).default({ enabled: false, allowedOrigins: [], federatedOpenId: false, openIdCacheSeconds: 300 }),
  /**
   * Several bridge processes on one PostgreSQL store (docs/scaling.md): each journals what
   * it is sent, rooms are leased to live processes, a process whose heartbeat lapses for
   * `leaseTtlSeconds` is taken over. Needs `store.url`.
   */
  cluster: z.strictObject({
    enabled: z.boolean({ error: 'must be true or false' }).default(false),
    leaseTtlSeconds: z.number({ error: 'must be a number' }).positive('must be positive').default(6),
    /** How often a process renews its membership (default: a quarter of the TTL). */
    heartbeatSeconds: z.number({ error: 'must be a number' }).positive('must be positive').optional(),
    /** How often it looks for work without being woken (a lost notification). */
    pollSeconds: z.number({ error: 'must be a number' }).positive('must be positive').default(1),
    /** `spread` rooms over the processes, or give them all to a `leader` (default: what the plugin says, else spread; always leader with encryption). */
    placement: z.enum(['spread', 'leader'], { error: 'must be spread or leader' }).optional(),
    /** This process's id in the cluster (default: host, pid and a random part). */
    processId: z.string({ error: 'must be a string' }).min(1, 'must not be empty').optional(),
  }, { error: 'must be a mapping' }).prefault({}),
  logging: z.strictObject({
    level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], {
      error: 'must be one of fatal, error, warn, info, debug, trace, silent',
    }).default('info'),
  }, { error: 'must be a mapping' }).prefault({}),
}, { error: 'must be a mapping' }).superRefine((config, ctx) => {
  if (!config.cluster.enabled) return;
  if (config.store.url === undefined) {
    ctx.addIssue({ code: 'custom', path: ['cluster', 'enabled'], message: 'needs the PostgreSQL store (store.url): processes share the store' });
  }
  if (config.encryption.enabled && config.cluster.placement === 'spread') {
    // One crypto device per bridge: only the leader may drive its Olm sessions, so it holds every lane that feeds it.
    ctx.addIssue({ code: 'custom', path: ['cluster', 'placement'], message: 'must be leader (or left out) with encryption.enabled: the bot has one crypto device, which only the leader may hold' });
  }
  const heartbeat = config.cluster.heartbeatSeconds;
  if (heartbeat !== undefined && heartbeat * 2 > config.cluster.leaseTtlSeconds) {
    ctx.addIssue({ code: 'custom', path: ['cluster', 'heartbeatSeconds'], message: 'must be at most half of leaseTtlSeconds (a heartbeat late by a little must not let the lease lapse)' });
  }
});

export type BridgeConfig = z.infer<typeof configSchema> & {
  /** The config file's folder: relative paths and `bridge.plugin` resolve from it (set by validateConfig). */
  readonly configDir?: string;
  /** The config file as it was named (set by loadConfig), for messages that say what to run. */
  readonly configFile?: string;
};
/** The config as written in YAML, before defaults are applied. */
export type BridgeConfigInput = z.input<typeof configSchema>;
