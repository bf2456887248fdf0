import type { JsonObject } from '../events/types.js';
import type { Presence, Visibility } from '../homeserver/index.js';
import type { Location } from './content/location.js';
import type { HtmlText, MessageContent } from './content/text.js';
import type { PuppetContext, RequestControls } from './context.js';
import { NotAPuppetError } from './errors.js';
import { EphemeralOps, type ReceiptOptions } from './ephemeral.js';
import { MembershipOps, type JoinOptions, type ReasonOptions } from './membership.js';
import { Messages, type MediaUpload, type MessageOptions, type RedactOptions, type SendOptions } from './messages.js';
import { ensurePowerLevel, setPowerLevel } from './power-levels.js';
import { ProfileOps, type RoomProfile } from './profile.js';
import { RoomOps, type CreateRoomOptions, type SpaceLinkOptions } from './rooms.js';
import { StateWriter, type StateOptions } from './state.js';
import type { Typing, TypingOptions } from './typing.js';
import type { MediaData } from './uploads.js';

/**
 * One user the bridge acts as: the bot or a virtual user. Get it from `Puppets`; it holds
 * no state of its own, so two objects for one user behave as one.
 *
 * Every send, state change, kick, ban and redaction is judged by the mirror's permission
 * engine first (`PermissionDenied`, no request); the mirror follows the homeserver's
 * echo, never these calls.
 */
export class Puppet {
  private readonly messages: Messages;
  private readonly members: MembershipOps;
  private readonly profile: ProfileOps;
  private readonly ephemeral: EphemeralOps;
  private readonly rooms: RoomOps;
  private readonly state: StateWriter;

  /** Made by `Puppets`; refuses (before any request) a user the bridge may not act as. */
  constructor(private readonly ctx: PuppetContext, readonly userId: string) {
    if (!ctx.namespaces.isControlledUser(userId)) throw new NotAPuppetError(userId);
    this.messages = new Messages(ctx, userId);
    this.members = new MembershipOps(ctx, userId);
    this.profile = new ProfileOps(ctx, userId);
    this.ephemeral = new EphemeralOps(ctx, userId);
    this.rooms = new RoomOps(ctx, userId);
    this.state = new StateWriter(ctx, userId);
  }

  get isBot(): boolean { return this.userId === this.ctx.botUserId; }

  // Account and membership

  /** Registers the user on the homeserver unless known to exist (the bot always exists). */
  ensureRegistered(): Promise<void> { return this.ctx.registrar.ensure(this.userId); }
  /** Joins (through an invite from the bot where it must); returns the room id. See MembershipOps. */
  ensureJoined(roomIdOrAlias: string, options?: JoinOptions): Promise<string> { return this.members.ensureJoined(roomIdOrAlias, options); }
  /** Joined, as the mirror (and confirmed joins not yet echoed) say. */
  isJoined(roomId: string): Promise<boolean> { return this.members.isJoined(roomId); }
  leave(roomId: string, options?: ReasonOptions): Promise<void> { return this.members.leave(roomId, options); }
  invite(roomId: string, userId: string, options?: ReasonOptions): Promise<void> { return this.members.invite(roomId, userId, options); }
  kick(roomId: string, userId: string, options?: ReasonOptions): Promise<void> { return this.members.kick(roomId, userId, options); }
  ban(roomId: string, userId: string, options?: ReasonOptions): Promise<void> { return this.members.ban(roomId, userId, options); }
  unban(roomId: string, userId: string, options?: ReasonOptions): Promise<void> { return this.members.unban(roomId, userId, options); }
  /** Raises this user to at least `level`, through the bot. */
  ensurePowerLevel(roomId: string, level: number, options?: RequestControls): Promise<void> {
    return ensurePowerLevel(this.ctx, roomId, this.userId, level, options);
  }
  /** Sets this user to exactly `level` (up or down), through the bot. */
  setPowerLevel(roomId: string, level: number, options?: RequestControls): Promise<void> {
    return setPowerLevel(this.ctx, roomId, this.userId, level, options);
  }

  // Messages (each returns the event id)

  send(roomId: string, type: string, content: JsonObject, options?: SendOptions): Promise<string> { return this.messages.send(roomId, type, content, options); }
  sendMessage(roomId: string, content: MessageContent, options?: MessageOptions): Promise<string> { return this.messages.sendMessage(roomId, content, options); }
  sendText(roomId: string, body: string, options?: MessageOptions): Promise<string> { return this.messages.sendText(roomId, body, options); }
  sendNotice(roomId: string, body: string, options?: MessageOptions): Promise<string> { return this.messages.sendNotice(roomId, body, options); }
  sendEmote(roomId: string, body: string, options?: MessageOptions): Promise<string> { return this.messages.sendEmote(roomId, body, options); }
  sendHtml(roomId: string, text: HtmlText, options?: MessageOptions & { readonly msgtype?: string }): Promise<string> { return this.messages.sendHtml(roomId, text, options); }
  sendMedia(roomId: string, media: MediaUpload, options?: MessageOptions): Promise<string> { return this.messages.sendMedia(roomId, media, options); }
  sendLocation(roomId: string, location: Location, options?: MessageOptions): Promise<string> { return this.messages.sendLocation(roomId, location, options); }
  edit(roomId: string, target: string, newContent: MessageContent, options?: SendOptions & { readonly externalUrl?: string }): Promise<string> {
    return this.messages.edit(roomId, target, newContent, options);
  }
  react(roomId: string, target: string, key: string, options?: SendOptions): Promise<string> { return this.messages.react(roomId, target, key, options); }
  redact(roomId: string, eventId: string, options?: RedactOptions): Promise<string> { return this.messages.redact(roomId, eventId, options); }
  /** Sets any state event (judged with its content). */
  setState(roomId: string, type: string, stateKey: string, content: JsonObject, options?: StateOptions): Promise<string> {
    return this.state.set(roomId, type, stateKey, content, options);
  }

  // Profile

  setDisplayName(displayName: string, options?: RequestControls): Promise<void> { return this.profile.setDisplayName(displayName, options); }
  /** Uploads and sets the avatar when its bytes changed; returns its mxc URI. */
  setAvatar(image: MediaData, options?: RequestControls): Promise<string> { return this.profile.setAvatar(image, options); }
  setAvatarUrl(avatarUrl: string, options?: RequestControls): Promise<void> { return this.profile.setAvatarUrl(avatarUrl, options); }
  /** Displayname and/or avatar in one room only (the member event). */
  setRoomProfile(roomId: string, profile: RoomProfile, options?: RequestControls): Promise<string> { return this.profile.setRoomProfile(roomId, profile, options); }

  // Typing, receipts, presence

  startTyping(roomId: string, options?: TypingOptions): Promise<Typing> { return this.ephemeral.startTyping(roomId, options); }
  stopTyping(roomId: string, options?: RequestControls): Promise<void> { return this.ephemeral.stopTyping(roomId, options); }
  sendReadReceipt(roomId: string, eventId: string, options?: ReceiptOptions): Promise<void> { return this.ephemeral.sendReadReceipt(roomId, eventId, options); }
  setPresence(presence: Presence, statusMsg?: string, options?: RequestControls): Promise<void> { return this.ephemeral.setPresence(presence, statusMsg, options); }

  // Rooms and spaces

  createRoom(options?: CreateRoomOptions): Promise<string> { return this.rooms.createRoom(options); }
  createSpace(options?: CreateRoomOptions): Promise<string> { return this.rooms.createSpace(options); }
  addToSpace(spaceId: string, childId: string, options?: SpaceLinkOptions): Promise<void> { return this.rooms.addToSpace(spaceId, childId, options); }
  removeFromSpace(spaceId: string, childId: string, options?: RequestControls & { readonly parentLink?: boolean }): Promise<void> {
    return this.rooms.removeFromSpace(spaceId, childId, options);
  }
  /** Lists the room in the appservice's directory of `networkId` (or unlists it). */
  setNetworkDirectoryVisibility(roomId: string, networkId: string, visibility: Visibility, options?: RequestControls): Promise<void> {
    return this.rooms.setNetworkDirectoryVisibility(roomId, networkId, visibility, options);
  }
}
