/**
 * Every section of the store, in one place, so that no two parts write the same keys.
 * Keys within a section are documented where the section is used.
 */
export const Sections = {
  /**
   * inbox: one record per accepted transaction not yet fully handled. key: zero-padded
   * sequence number of its first item (item i is seq + i); value: the JSON array
   * `[{"t":txnId,"r":receivedAt,"n":items,"d":[duplicate indexes]},\n<request body>]`, the
   * body's bytes exactly as the homeserver sent them. (A `{...}` value is a single-item
   * entry from before this layout, still read.)
   */
  journal: 'inbox.journal',
  /** inbox: key as in `journal`, value: JSON array of the item indexes handled so far. */
  inboxProgress: 'inbox.progress',
  /**
   * inbox: the dedupe window, one record per accepted transaction:
   * `<generation start ms, 15 digits>!<journal key>` → array of its new item ids
   * (event_ids; `txn!<txnId>!<hash>` for ephemeral and to-device items). Two generations.
   */
  dedupe: 'inbox.dedupe',
  /** inbox: items whose handler kept failing. key: zero-padded sequence number of the item. */
  deadLetters: 'inbox.dead-letters',
  /**
   * inbox: counters: `nextSeq` (the next free sequence number); `lostItems`, `lostAt` (items
   * answered 200 found missing at a start, in total, and when last: see `inbox/integrity.ts`).
   */
  inboxMeta: 'inbox.meta',
  /** mirror: per-room summary (version, creators, power levels, counts). */
  mirrorRooms: 'mirror.rooms',
  /** mirror: `<roomId>\x00<type>\x00<stateKey>` → state event. */
  mirrorState: 'mirror.state',
  /** homeserver client: stable send txnIds and registered puppets. */
  puppets: 'puppets',
  sendTxns: 'homeserver.send-txns',
  /** plugin host: which rooms each user is in (for presence and profile relay). */
  memberRooms: 'plugin.member-rooms',
  /** plugin host: mappings and each plugin's own key-value data. */
  mappings: 'plugin.mappings',
  pluginData: (plugin: string) => `plugin.data.${plugin}`,
  /** remote pipeline: `last>` + channel id → the last remote message bridged there (`{id, ts}`), where catch-up starts. */
  backfill: 'plugin.backfill',
  /** room upgrades: `pending>` + replacement room id → the upgraded room, while the bot waits for an invite. */
  roomUpgrades: 'plugin.upgrades',
  /** bot: `user!<userId>` → management room id, `room!<roomId>` → its user. */
  botManagementRooms: 'bot.management-rooms',
  /** puppets: confirmed writes whose echo the mirror has not applied yet. */
  puppetsUnechoed: 'puppets.unechoed',
  /** puppets: content hash → mxc URI, so the same bytes are uploaded once. */
  puppetsUploads: 'puppets.uploads',
  /** puppets: the profile last set per puppet (avatar hash, displayname). */
  puppetsProfiles: 'puppets.profiles',
  /** puppets: user id → double-puppet session (access token encrypted, device id). */
  puppetsDouble: 'puppets.double',
  /**
   * crypto: user id → its encryption device (device id, identity keys once made), kept
   * apart from the crypto store so that losing that store is noticed.
   */
  cryptoDevices: 'crypto.devices',
  /**
   * crypto: user id → its cross-signing identity: the public master key, the private keys
   * sealed (AES-256-GCM, key from `encryption.crossSigning.passphrase`), whether uploaded.
   */
  cryptoCrossSigning: 'crypto.cross-signing',
  /** crypto: IndexedDB database name → its schema (version, object stores, indexes). */
  cryptoIdbSchemas: 'crypto.idb.schemas',
  /**
   * crypto: `<database>\0<object store>\0<canonical key>` → the record, bytes: a 4-byte
   * length, the v8-serialized key, the v8-serialized value.
   */
  cryptoIdbRecords: 'crypto.idb.records',
  /**
   * crypto: event id → an encrypted event passed on as undecryptable whose room key may
   * still come (`LateEvents`): the event, when it was passed on, whether it is journaled again.
   */
  cryptoLateEvents: 'crypto.late-events',
  /**
   * logins: `login!<login id>` → a user's login to the remote network (user, remote id and
   * name, metadata, last reported state; credentials AES-256-GCM sealed, see
   * `logins/credentials-key.ts`); `key-check` → a known text sealed with the key, to tell a
   * wrong key at start.
   */
  logins: 'logins',
  /** relay: `room!<room id>` → the portal's relay (who turned it on, when); `told!<room id>!<user id>` → told their message was not bridged. */
  relay: 'logins.relay',
  /**
   * leases: messages forwarded to a leased connection (`scope.forward`, `ctx.leases.send`) and
   * not delivered yet: `<lease key>\u0000<order>` → `{m: message, at: ms, from?: process id}`;
   * order `h<item seq, 16 digits>.<n, 4 digits>` (in a handler: the same on every retry and in
   * every process) or `t<ms, 15 digits>.<random>` (outside handlers). See cluster/forward-queue.ts.
   */
  forwards: 'leases.forwards',
  /** leases: forwarded messages given up (their connection's `deliver` kept failing, or they were invalid); key as in `forwards`. */
  forwardDeadLetters: 'leases.forwards-dead',
  /**
   * cli: `bridgekit doctor` writes and deletes one key here to prove the store is writable;
   * the store itself probes with key `ready` while its writes are failing.
   */
  doctorProbe: 'doctor.probe',
} as const;
