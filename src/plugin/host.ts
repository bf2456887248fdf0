import type { Logger } from '../log/logger.js';
import type { InboundItem, RoomEvent } from '../events/types.js';
import type { HandlerContext } from '../inbox/index.js';
import type { Namespaces } from '../registration/index.js';
import type { Section } from '../store/index.js';
import type { Mirror, RoomView } from '../mirror/index.js';
import type { BridgePlugin, Capability, HandlerScope } from './contract.js';
import { stripReplyFallback } from '../format/index.js';
import { DOUBLE_PUPPET_MARKER } from '../puppets/double/index.js';
import { classify, classifyEphemeral, type ClassifiedEvent, type EncryptionInfo } from './matrix-events.js';

/** What the crypto part made of an encrypted event: the decrypted one's flag, or why it could not. */
export type CryptoOutcome = EncryptionInfo | { readonly undecryptable: string; readonly withheld?: string };
import { capabilitiesForMessage, missing, refusalNotice } from './capabilities.js';
import type { Mappings } from './mappings.js';
import { TransactionalKeyValue } from './kv.js';
import type { MemberRooms } from './remote/member-rooms.js';
import type { RelayInfo, UserLogin } from '../logins/contract.js';
import type { SenderGate } from '../logins/sender-gate.js';
import { displayNameIn } from '../logins/display-name.js';
import type { HandlerForward } from '../cluster/forwarder.js';

/** Said once per room, the first time the bot cannot read a message there. */
const UNDECRYPTABLE_NOTICE = 'I could not decrypt a message in this room, so it was not passed on. '
  + 'If this keeps happening, sending it again, or verifying my session, may help.';

/** Puts the decryption flag on what a plugin sees of a decrypted event, or the reason on an unreadable one. */
function withCrypto(classified: ClassifiedEvent, crypto: CryptoOutcome | undefined): ClassifiedEvent {
  if (!crypto) return classified;
  if ('undecryptable' in crypto) {
    if (classified.kind !== 'undecryptable') return classified;
    return { kind: 'undecryptable', value: { ...classified.value, reason: crypto.undecryptable, withheld: crypto.withheld } };
  }
  const encryption = crypto;
  switch (classified.kind) {
    case 'message': return { kind: 'message', value: { ...classified.value, encryption } };
    case 'edit': return { kind: 'edit', value: { ...classified.value, encryption } };
    case 'reaction': return { kind: 'reaction', value: { ...classified.value, encryption } };
    default: return classified;
  }
}

const DONE: Promise<void> = Promise.resolve();

/** What a person sends: these need a login or the portal's relay when the plugin requires logins. */
const SENDS: ReadonlySet<ClassifiedEvent['kind']> = new Set(['message', 'edit', 'reaction', 'redaction']);

/** State changes that count as room metadata. */
const METADATA_TYPES = new Set(['m.room.name', 'm.room.topic', 'm.room.avatar']);

export interface PluginHostDeps {
  readonly plugin: BridgePlugin<unknown>;
  readonly mirror: Mirror;
  readonly namespaces: Namespaces;
  readonly mappings: Mappings;
  readonly kvSection: Section<unknown>;
  /** Sends a notice as the bot; `key` makes it idempotent. */
  readonly notify: (roomId: string, text: string, key: string) => Promise<void>;
  /** Gets first look at messages (bot commands); true when it took the message. */
  readonly intercept?: (event: ClassifiedEvent, room: RoomView, scope: HandlerScope) => boolean | Promise<boolean>;
  /** Plugins with logins: whose events go on, through a login or the portal's relay (`scope.logins`, `scope.relay`). */
  readonly senders?: SenderGate;
  /** Which portals a user is in: fed every member event here, asked before presence goes to the plugin. */
  readonly memberRooms: Pick<MemberRooms, 'observe' | 'sharesPortal'>;
  readonly logger: Logger;
  /** `scope.forward` (key: the plugin's own, e.g. `bot`): the connection leases' (runtime/open-inbox.ts). */
  readonly forward?: (key: string, message: unknown, via: HandlerForward) => Promise<void>;
  /**
   * The double-puppet marker's value on events this bridge sent as real users (the
   * appservice id): their echo is dropped like a ghost's. Undefined: no double puppeting.
   */
  readonly doublePuppetSource?: string;
}

/**
 * Hands Matrix-side events to the plugin: sorted by meaning, gated by capability (with a
 * notice to the user when refused), echoes of the bridge's own users dropped, remote ids
 * of the events they refer to looked up.
 */
export class PluginHost {
  constructor(private readonly deps: PluginHostDeps) {}

  /** `crypto` is set for events the crypto part looked at: `item` is then the plaintext event, or the encrypted one it could not read. */
  handle(item: InboundItem, ctx: HandlerContext, crypto?: CryptoOutcome): Promise<void> {
    const scope = new EventScope(ctx, this.deps.kvSection, this.deps.forward);
    if (item.kind === 'event') {
      // Only member events concern the member index: the others go on without an async call.
      return item.event.type === 'm.room.member' ? this.handleMember(item.event, scope, crypto) : this.handleEvent(item.event, scope, crypto);
    }
    if (item.kind === 'ephemeral') return this.handleEphemeral(item, scope);
    // With encryption on, the crypto part takes these before the host (runtime/crypto-handler.ts).
    scope.logger.debug({ kind: item.kind }, 'device data ignored: encryption is not enabled');
    return DONE;
  }

  private async handleMember(event: RoomEvent, scope: EventScope, crypto?: CryptoOutcome): Promise<void> {
    // Before anything can return early: the index must see every member event, ours too.
    await this.deps.memberRooms.observe(event);
    await this.handleEvent(event, scope, crypto);
  }

  private async handleEvent(event: RoomEvent, scope: EventScope, crypto?: CryptoOutcome): Promise<void> {
    const { plugin, mirror, namespaces } = this.deps;
    // A room in the mirror's cache (nearly always) is answered without an async call.
    const room = mirror.cachedRoom(event.room_id) ?? await mirror.room(event.room_id);
    if (!room) return;
    // What we sent as a real user (a double puppet, marked in its content) came from the
    // remote side: not a command to the bot, not a message for the plugin.
    if (this.isDoublePuppetEcho(event)) return;
    const classified = withCrypto(classify(event), crypto);
    const taken = this.deps.intercept?.(classified, room, scope) ?? false;
    if (taken === true || (taken !== false && await taken)) return;
    // Echo suppression: what our own users did came from us.
    if (namespaces.isControlledUser(event.sender)) return;
    if (this.deps.senders && !await this.judgeSender(this.deps.senders, classified, room, event, scope)) return;

    switch (classified.kind) {
      case 'message': {
        const m = classified.value;
        // Checked here first: what the plugin carries (nearly always) costs no async call.
        const lacking = missing(plugin.capabilities, capabilitiesForMessage(m));
        if (lacking) {
          await this.refuse(lacking, room, event, scope);
          return;
        }
        // Most messages are neither replies nor in threads: they go as they are. A plugin that
        // carries replies gets them without their fallback (the quote clients put before a
        // reply); to one that does not, the fallback is all that says what was answered.
        const plain = m.replyTo === undefined && m.thread === undefined ? m : {
          ...(m.replyTo !== undefined && plugin.capabilities.replies ? stripReplyFallback(m) : m),
          replyTo: plugin.capabilities.replies && m.replyTo ? { ...m.replyTo, remoteId: await this.remoteId(m.replyTo.eventId) } : undefined,
          thread: plugin.capabilities.threads && m.thread ? { ...m.thread, remoteRootId: await this.remoteId(m.thread.rootId) } : undefined,
        };
        await plugin.onMessage?.(plain, room, scope);
        return;
      }
      case 'edit':
        if (!await this.allowed(['edits'], room, event, scope)) return;
        await plugin.onEdit?.({ ...classified.value, target: await this.target(classified.value.target.eventId) }, room, scope);
        return;
      case 'reaction':
        if (!await this.allowed(['reactions'], room, event, scope)) return;
        await plugin.onReaction?.({ ...classified.value, target: await this.target(classified.value.target.eventId) }, room, scope);
        return;
      case 'redaction':
        if (!await this.allowed(['redactions'], room, event, scope)) return;
        await plugin.onRedaction?.({ ...classified.value, target: await this.target(classified.value.target.eventId) }, room, scope);
        return;
      case 'membership':
        if (plugin.capabilities.membership) await plugin.onMembership?.(classified.value, room, scope);
        return;
      case 'state':
        if (METADATA_TYPES.has(classified.value.type)) {
          if (!await this.allowed(['roomMetadata'], room, event, scope)) return;
        }
        await plugin.onRoomState?.(classified.value, room, scope);
        return;
      case 'undecryptable':
        // Our own users' events never get here (echoes return above): this is a person's message.
        scope.logger.warn({ reason: classified.value.reason, withheld: classified.value.withheld }, 'an encrypted event could not be decrypted');
        await this.deps.notify(room.roomId, UNDECRYPTABLE_NOTICE, `undecryptable:${room.roomId}`);
        await plugin.onUndecryptable?.(classified.value, room, scope);
        return;
      case 'other':
        await plugin.onOtherEvent?.(event, room, scope);
        return;
    }
  }

  private async handleEphemeral(item: Extract<InboundItem, { kind: 'ephemeral' }>, scope: HandlerScope): Promise<void> {
    const { plugin, mirror, namespaces } = this.deps;
    const classified = classifyEphemeral(item.event);
    if (!classified) return;
    if (classified.kind === 'presence') {
      if (!plugin.capabilities.presence || namespaces.isControlledUser(classified.value.userId)) return;
      // The homeserver sends presence of everyone sharing any room with our users; the
      // plugin only hears about people in a portal (see MemberRooms for why an index).
      if (!await this.deps.memberRooms.sharesPortal(classified.value.userId)) return;
      await plugin.onPresence?.(classified.value, scope);
      return;
    }
    const room = await mirror.room(classified.value.roomId);
    if (!room) return;
    if (classified.kind === 'typing' && plugin.capabilities.typing) {
      const userIds = classified.value.userIds.filter((u) => !namespaces.isControlledUser(u));
      await plugin.onTyping?.({ ...classified.value, userIds }, room, scope);
    } else if (classified.kind === 'receipt' && plugin.capabilities.receipts) {
      const receipts = classified.value.receipts.filter((r) => !namespaces.isControlledUser(r.userId));
      if (receipts.length > 0) await plugin.onReceipt?.({ ...classified.value, receipts }, room, scope);
    }
  }

  /**
   * With logins: the sender's logins on the scope; a person's message, edit, reaction or
   * redaction without a login goes through the portal's relay or not at all (told once).
   */
  private async judgeSender(gate: SenderGate, classified: ClassifiedEvent, room: RoomView, event: RoomEvent, scope: EventScope): Promise<boolean> {
    if (!SENDS.has(classified.kind)) {
      scope.logins = gate.loginsOf(event.sender);
      return true;
    }
    const verdict = await gate.judge(event.sender, room.roomId, () => displayNameIn(room, event.sender));
    if (verdict.go) {
      scope.logins = verdict.logins;
      if (verdict.relay) scope.relay = verdict.relay;
      return true;
    }
    scope.logger.info({ sender: event.sender, kind: classified.kind }, 'not bridged: the sender has no login and the room no relay');
    if (verdict.tell) await this.deps.notify(room.roomId, verdict.tell, `not-bridged:${event.event_id}`);
    return false;
  }

  private isDoublePuppetEcho(event: RoomEvent): boolean {
    const source = this.deps.doublePuppetSource;
    return source !== undefined && event.content[DOUBLE_PUPPET_MARKER] === source;
  }

  /** True when the plugin carries all of `needed`; otherwise tells the sender, once per event. */
  private async allowed(needed: readonly Capability[], room: RoomView, event: RoomEvent, scope: HandlerScope): Promise<boolean> {
    const lacking = missing(this.deps.plugin.capabilities, needed);
    if (!lacking) return true;
    await this.refuse(lacking, room, event, scope);
    return false;
  }

  /** Tells the sender, once per event, what the plugin lacks. */
  private async refuse(lacking: Capability, room: RoomView, event: RoomEvent, scope: HandlerScope): Promise<void> {
    scope.logger.info({ capability: lacking }, 'refused: capability not declared by the plugin');
    await this.deps.notify(room.roomId, refusalNotice(this.deps.plugin.name, lacking), `refusal:${event.event_id}`);
  }

  private async remoteId(eventId: string): Promise<string | undefined> {
    return (await this.deps.mappings.remoteForEvent(eventId))?.remoteId;
  }

  private async target(eventId: string): Promise<{ eventId: string; remoteId?: string }> {
    return { eventId, remoteId: await this.remoteId(eventId) };
  }
}

/**
 * What a handler of the plugin gets with an event. Made for every item, so lazy: the
 * item's logger and key-value view exist only if the plugin (or the bot) uses them.
 */
class EventScope implements HandlerScope {
  private kvView: TransactionalKeyValue | undefined;
  /** Set by the host for plugins with logins (see `judgeSender`). */
  logins: readonly UserLogin[] = [];
  relay: RelayInfo | undefined;

  /** Forwards made so far in this attempt: each gets its own place after the item's. */
  private forwards = 0;

  constructor(
    private readonly ctx: HandlerContext, private readonly kvSection: Section<unknown>,
    private readonly forwarder: PluginHostDeps['forward'],
  ) {}

  forward(key: string, message: unknown): Promise<void> {
    if (!this.forwarder) return Promise.reject(new TypeError('forwarding is not set up in this bridge'));
    const { ctx } = this;
    return this.forwarder(key, message, { work: ctx.work, seq: ctx.entry.seq, n: this.forwards++, attempt: ctx.attempt, lastAttempt: ctx.lastAttempt });
  }

  get logger(): Logger {
    return this.ctx.logger;
  }

  get kv(): TransactionalKeyValue {
    return (this.kvView ??= new TransactionalKeyValue(this.kvSection, this.ctx.work));
  }

  get idempotencyKey(): string {
    const { entry } = this.ctx;
    return entry.item.kind === 'event' ? entry.item.event.event_id : `${entry.txnId}:${entry.seq}`;
  }

  get attempt(): number {
    return this.ctx.attempt;
  }

  get lastAttempt(): boolean {
    return this.ctx.lastAttempt;
  }
}
