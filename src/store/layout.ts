/**
 * Every section of the store, in one place, so that no two parts write the same keys.
 * Keys within a section are documented where the section is used.
 */
export const Sections = {
  /** inbox: journaled, not yet handled inbound items. key: zero-padded sequence number. */
  journal: 'inbox.journal',
  /** inbox: `<generation>!<event_id>` and `<generation>!txn!<txnId>!<hash>`: the dedupe window. */
  seen: 'inbox.seen',
  /** inbox: items whose handler kept failing. key: zero-padded sequence number. */
  deadLetters: 'inbox.dead-letters',
  /** inbox: counters (`nextSeq`). */
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
  /** bot: `user!<userId>` → management room id, `room!<roomId>` → its user. */
  botManagementRooms: 'bot.management-rooms',
  /** puppets: confirmed writes whose echo the mirror has not applied yet. */
  puppetsUnechoed: 'puppets.unechoed',
  /** puppets: content hash → mxc URI, so the same bytes are uploaded once. */
  puppetsUploads: 'puppets.uploads',
  /** puppets: the profile last set per puppet (avatar hash, displayname). */
  puppetsProfiles: 'puppets.profiles',
  /** cli: `bridgekit doctor` writes and deletes one key here to prove the store is writable. */
  doctorProbe: 'doctor.probe',
} as const;
