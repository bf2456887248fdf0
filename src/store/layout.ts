/**
 * Every section of the store, in one place, so that no two parts write the same keys.
 * Keys within a section are documented where the section is used.
 */
export const Sections = {
  /** inbox: journaled, not yet handled inbound items. key: zero-padded sequence number. */
  journal: 'inbox.journal',
  /** inbox: event_id → first-seen time, the dedupe window. */
  seenEvents: 'inbox.seen',
  /** inbox: `<time>!<event_id>`, to expire the dedupe window in time order. */
  seenByTime: 'inbox.seen-by-time',
  /** inbox: `<txnId>!<hash>` of ephemeral/to-device items already journaled. */
  seenEphemeral: 'inbox.seen-ephemeral',
  /** inbox: items whose handler kept failing. key: zero-padded sequence number. */
  deadLetters: 'inbox.dead-letters',
  /** inbox: handled-marker for parts of a journal entry (`<seq>!<index>`). */
  handled: 'inbox.handled',
  /** mirror: per-room summary (version, creators, power levels, counts). */
  mirrorRooms: 'mirror.rooms',
  /** mirror: `<roomId>\x00<type>\x00<stateKey>` → state event. */
  mirrorState: 'mirror.state',
  /** homeserver client: stable send txnIds and registered puppets. */
  puppets: 'puppets',
  sendTxns: 'homeserver.send-txns',
  /** plugin host: mappings and each plugin's own key-value data. */
  mappings: 'plugin.mappings',
  pluginData: (plugin: string) => `plugin.data.${plugin}`,
} as const;
