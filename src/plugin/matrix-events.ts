import { EncryptedFileError, encryptedFileOf, type EncryptedFile } from '../crypto/attachments.js';
import type { JsonObject, RoomEvent, EphemeralEvent } from '../events/types.js';
import { inviteStateOf, type StrippedStateEvent } from '../events/invite-state.js';
import { isObject } from '../events/validate.js';
import { isMembership, type Membership } from '../mirror/index.js';

/** Set on what arrived end-to-end encrypted (bridgekit decrypted it before the plugin saw it). */
export interface EncryptionInfo {
  readonly encrypted: true;
  /** The sending device is verified (cross-signed by its verified owner); false for most devices. */
  readonly verified: boolean;
  readonly senderDevice?: string;
  /**
   * Its room key came after the wait (`encryption.keyWaitSeconds`): the plugin was handed it
   * as undecryptable before (`onUndecryptable`, same event id), and newer events of the room
   * may have been handed on since. A bridge that told the remote side it could not read it
   * may follow up now.
   */
  readonly late?: true;
}

/** An `m.room.encrypted` event that bridgekit could not decrypt (or encryption is off). */
export interface UndecryptableEvent {
  readonly event: RoomEvent;
  readonly roomId: string;
  readonly eventId: string;
  readonly sender: string;
  /** Why, in words (e.g. the room key never arrived, or encryption is not enabled). */
  readonly reason: string;
  /** The sender's reason for withholding the key, when it said one. */
  readonly withheld?: string;
}

/** The file of a media message, as `PluginContext.media.download` takes it. */
export interface MatrixMedia {
  /** The mxc URI (of the ciphertext, when `file` is set). */
  readonly url: string;
  readonly info?: JsonObject;
  readonly filename?: string;
  /** Set when the file is encrypted (sent in an encrypted room): `download` decrypts it. */
  readonly file?: EncryptedFile;
}

/** A Matrix message, with its relations read out. */
export interface MatrixMessage {
  readonly event: RoomEvent;
  readonly encryption?: EncryptionInfo;
  readonly roomId: string;
  readonly eventId: string;
  readonly sender: string;
  readonly ts: number;
  readonly msgtype: string;
  readonly body: string;
  /** `formatted_body` when `format` is `org.matrix.custom.html`. */
  readonly html?: string;
  /** Set for m.image, m.file, m.audio, m.video (and stickers). */
  readonly media?: MatrixMedia;
  readonly replyTo?: { readonly eventId: string; readonly remoteId?: string };
  readonly thread?: { readonly rootId: string; readonly remoteRootId?: string };
  /** `m.mentions`, when the sender's client set it: whom the message means to notify. */
  readonly mentions?: { readonly userIds: readonly string[]; readonly room: boolean };
}

export interface MatrixEdit {
  readonly event: RoomEvent;
  readonly encryption?: EncryptionInfo;
  readonly roomId: string;
  readonly eventId: string;
  readonly sender: string;
  readonly target: { readonly eventId: string; readonly remoteId?: string };
  readonly msgtype: string;
  readonly body: string;
  readonly html?: string;
}

export interface MatrixReaction {
  readonly event: RoomEvent;
  readonly encryption?: EncryptionInfo;
  readonly roomId: string;
  readonly eventId: string;
  readonly sender: string;
  readonly target: { readonly eventId: string; readonly remoteId?: string };
  readonly key: string;
}

export interface MatrixRedaction {
  readonly event: RoomEvent;
  readonly roomId: string;
  readonly eventId: string;
  readonly sender: string;
  readonly target: { readonly eventId: string; readonly remoteId?: string };
  readonly reason?: string;
}

export interface MembershipChange {
  readonly event: RoomEvent;
  readonly roomId: string;
  readonly sender: string;
  /** Whose membership changed (the state key). */
  readonly userId: string;
  readonly membership: Membership;
  readonly previous?: Membership;
  readonly displayName?: string;
  readonly reason?: string;
  /**
   * For an invite: the stripped state it carries (room name, create event, join rules…),
   * all an invited user may read of the room before joining.
   */
  readonly inviteState?: readonly StrippedStateEvent[];
}

export interface StateChange {
  readonly event: RoomEvent;
  readonly roomId: string;
  readonly sender: string;
  readonly type: string;
  readonly stateKey: string;
  readonly content: JsonObject;
  readonly previous?: JsonObject;
}

export interface TypingUpdate {
  readonly roomId: string;
  readonly userIds: readonly string[];
}

/** Public read receipts only: `m.read.private` never reaches a plugin. */
export interface ReceiptUpdate {
  readonly roomId: string;
  readonly receipts: ReadonlyArray<{ readonly eventId: string; readonly userId: string; readonly ts?: number; readonly threadId?: string }>;
}

export interface PresenceUpdate {
  readonly userId: string;
  readonly presence: 'online' | 'unavailable' | 'offline';
  readonly statusMsg?: string;
  readonly lastActiveAgo?: number;
  readonly currentlyActive?: boolean;
}

/** A room event sorted by what it means to a bridge. */
export type ClassifiedEvent =
  | { readonly kind: 'message'; readonly value: MatrixMessage }
  | { readonly kind: 'edit'; readonly value: MatrixEdit }
  | { readonly kind: 'reaction'; readonly value: MatrixReaction }
  | { readonly kind: 'redaction'; readonly value: MatrixRedaction }
  | { readonly kind: 'membership'; readonly value: MembershipChange }
  | { readonly kind: 'state'; readonly value: StateChange }
  | { readonly kind: 'undecryptable'; readonly value: UndecryptableEvent }
  | { readonly kind: 'other'; readonly value: RoomEvent };

const MEDIA_TYPES = new Set(['m.image', 'm.file', 'm.audio', 'm.video']);

const str = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

function htmlOf(content: JsonObject): string | undefined {
  return content['format'] === 'org.matrix.custom.html' ? str(content['formatted_body']) : undefined;
}

function relation(content: JsonObject): JsonObject | undefined {
  const rel = content['m.relates_to'];
  return isObject(rel) ? rel : undefined;
}

/** Previous content: `unsigned.prev_content`, or top level where older Synapse puts it. */
function previousContent(event: RoomEvent): JsonObject | undefined {
  const fromUnsigned = event.unsigned?.['prev_content'];
  if (isObject(fromUnsigned)) return fromUnsigned;
  const legacy = (event as unknown as JsonObject)['prev_content'];
  return isObject(legacy) ? legacy : undefined;
}

function asMembership(value: unknown): Membership | undefined {
  return isMembership(value) ? value : undefined;
}

/**
 * A message or an edit. Runs for nearly every event a bridge gets: the values are built
 * once as plain literals (no intermediate objects, no spreads).
 */
function classifyMessage(event: RoomEvent): ClassifiedEvent {
  const content = event.content;
  const rel = relation(content);
  if (rel !== undefined && rel['rel_type'] === 'm.replace' && typeof rel['event_id'] === 'string') {
    const newContent = content['m.new_content'];
    const next = isObject(newContent) ? newContent : content;
    return {
      kind: 'edit',
      value: {
        event, roomId: event.room_id, eventId: event.event_id, sender: event.sender,
        target: { eventId: rel['event_id'] }, msgtype: str(next['msgtype']) ?? 'm.text', body: str(next['body']) ?? '', html: htmlOf(next),
      },
    };
  }
  const msgtype = event.type === 'm.sticker' ? 'm.sticker' : str(content['msgtype']) ?? 'm.text';
  let replyTo: MatrixMessage['replyTo'];
  let thread: MatrixMessage['thread'];
  if (rel !== undefined) {
    const inReplyTo = rel['m.in_reply_to'];
    const replyId = isObject(inReplyTo) ? str(inReplyTo['event_id']) : undefined;
    const isThread = rel['rel_type'] === 'm.thread' && typeof rel['event_id'] === 'string';
    // In a thread, an in_reply_to marked as falling back is not a real reply.
    if (replyId && !(isThread && rel['is_falling_back'] === true)) replyTo = { eventId: replyId };
    if (isThread) thread = { rootId: rel['event_id'] as string };
  }
  return {
    kind: 'message',
    value: {
      event, roomId: event.room_id, eventId: event.event_id, sender: event.sender,
      ts: event.origin_server_ts,
      msgtype,
      body: str(content['body']) ?? '',
      html: htmlOf(content),
      media: msgtype === 'm.text' ? undefined : mediaOf(content, msgtype),
      replyTo,
      thread,
      mentions: mentionsOf(content),
    },
  };
}

/**
 * The file of m.image, m.file, m.audio, m.video and stickers, when it has a URL: `url`, or in
 * an encrypted room `file` (its URL and the key that opens it; a broken `file` counts as none).
 */
function mediaOf(content: JsonObject, msgtype: string): MatrixMessage['media'] {
  if (!(MEDIA_TYPES.has(msgtype) || msgtype === 'm.sticker')) return undefined;
  const file = encryptedFileOf(content['file']);
  const url = file instanceof EncryptedFileError ? undefined : file?.url ?? str(content['url']);
  if (!url) return undefined;
  return {
    url, info: isObject(content['info']) ? content['info'] : undefined, filename: str(content['filename']) ?? str(content['body']),
    ...(file && !(file instanceof EncryptedFileError) ? { file } : {}),
  };
}

/** `m.mentions` as sent; user ids that are not strings are left out. */
function mentionsOf(content: JsonObject): MatrixMessage['mentions'] {
  const mentions = content['m.mentions'];
  if (!isObject(mentions)) return undefined;
  const ids = Array.isArray(mentions['user_ids']) ? mentions['user_ids'].filter((id): id is string => typeof id === 'string') : [];
  return { userIds: ids, room: mentions['room'] === true };
}

/** Sorts a room event by meaning. Pure: the host adds remote ids afterwards. */
export function classify(event: RoomEvent): ClassifiedEvent {
  if (event.state_key !== undefined) {
    if (event.type === 'm.room.member') {
      const membership = asMembership(event.content['membership']);
      if (membership) {
        return {
          kind: 'membership',
          value: {
            event, roomId: event.room_id, sender: event.sender, userId: event.state_key, membership,
            previous: asMembership(previousContent(event)?.['membership']),
            displayName: str(event.content['displayname']),
            reason: str(event.content['reason']),
            inviteState: membership === 'invite' ? inviteStateOf(event) : undefined,
          },
        };
      }
    }
    return {
      kind: 'state',
      value: { event, roomId: event.room_id, sender: event.sender, type: event.type, stateKey: event.state_key, content: event.content, previous: previousContent(event) },
    };
  }
  switch (event.type) {
    case 'm.room.message':
    case 'm.sticker':
      return classifyMessage(event);
    case 'm.reaction': {
      const rel = relation(event.content);
      if (rel?.['rel_type'] === 'm.annotation' && typeof rel['event_id'] === 'string' && typeof rel['key'] === 'string') {
        return { kind: 'reaction', value: { event, roomId: event.room_id, eventId: event.event_id, sender: event.sender, target: { eventId: rel['event_id'] }, key: rel['key'] } };
      }
      return { kind: 'other', value: event };
    }
    case 'm.room.redaction': {
      // Top-level `redacts` up to v10, `content.redacts` from v11.
      const target = event.redacts ?? str(event.content['redacts']);
      if (target) return { kind: 'redaction', value: { event, roomId: event.room_id, eventId: event.event_id, sender: event.sender, target: { eventId: target }, reason: str(event.content['reason']) } };
      return { kind: 'other', value: event };
    }
    // Reaches here only still encrypted: the decrypted event is classified instead when it can be.
    case 'm.room.encrypted':
      return { kind: 'undecryptable', value: { event, roomId: event.room_id, eventId: event.event_id, sender: event.sender, reason: 'encryption is not enabled for this bridge' } };
    default:
      return { kind: 'other', value: event };
  }
}

/** Ephemeral events by meaning; undefined for types bridges do not relay. */
export function classifyEphemeral(event: EphemeralEvent):
  | { readonly kind: 'typing'; readonly value: TypingUpdate }
  | { readonly kind: 'receipt'; readonly value: ReceiptUpdate }
  | { readonly kind: 'presence'; readonly value: PresenceUpdate }
  | undefined {
  const c = event.content;
  if (event.type === 'm.typing' && event.room_id) {
    const ids = Array.isArray(c['user_ids']) ? c['user_ids'].filter((u): u is string => typeof u === 'string') : [];
    return { kind: 'typing', value: { roomId: event.room_id, userIds: ids } };
  }
  if (event.type === 'm.receipt' && event.room_id) {
    const receipts: Array<{ eventId: string; userId: string; ts?: number; threadId?: string }> = [];
    for (const [eventId, byType] of Object.entries(c)) {
      if (!isObject(byType)) continue;
      const reads = byType['m.read']; // m.read.private is deliberately never read
      if (!isObject(reads)) continue;
      for (const [userId, data] of Object.entries(reads)) {
        const d = isObject(data) ? data : {};
        receipts.push({ eventId, userId, ts: typeof d['ts'] === 'number' ? d['ts'] : undefined, threadId: str(d['thread_id']) });
      }
    }
    return receipts.length > 0 ? { kind: 'receipt', value: { roomId: event.room_id, receipts } } : undefined;
  }
  if (event.type === 'm.presence' && event.sender) {
    const presence = c['presence'];
    if (presence !== 'online' && presence !== 'unavailable' && presence !== 'offline') return undefined;
    return {
      kind: 'presence',
      value: {
        userId: event.sender,
        presence,
        statusMsg: str(c['status_msg']),
        lastActiveAgo: typeof c['last_active_ago'] === 'number' ? c['last_active_ago'] : undefined,
        currentlyActive: typeof c['currently_active'] === 'boolean' ? c['currently_active'] : undefined,
      },
    };
  }
  return undefined;
}
