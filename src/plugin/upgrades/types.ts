/** A portal followed into its replacement room (`onRoomUpgrade`). */
export interface RoomUpgrade {
  readonly channelId: string;
  /** The upgraded room: nothing is sent there any more. */
  readonly oldRoomId: string;
  /** Its replacement, now the channel's portal: the bot and the ghosts that were in the old room are in it. */
  readonly newRoomId: string;
}
