import type { HandlerScope, MatrixEdit, MatrixMessage, PluginRoomView } from 'matrix-bridgekit';
import { enqueue, keys, type OutboundPayload, type OutboundTarget } from './outbound-store.js';

/** The JSON for a message; media as its mxc URI (the receiver downloads it if it wants). */
/** `linkOf`: a link the target can open for an `mxc://` URI (the bridge's signed media link), if any. */
export async function payloadOf(
  message: MatrixMessage, room: PluginRoomView, linkOf: (mxc: string, filename?: string) => string | undefined = () => undefined,
): Promise<OutboundPayload> {
  const media = message.media;
  const info = media?.info;
  const link = media ? linkOf(media.url, media.filename) : undefined;
  return {
    id: message.eventId,
    room_id: message.roomId,
    sender: message.sender,
    ...await senderName(room, message.sender),
    body: message.body,
    ...(message.html !== undefined ? { html: message.html } : {}),
    msgtype: message.msgtype,
    origin_server_ts: message.ts,
    ...(media ? {
      media: {
        url: media.url,
        ...(link !== undefined ? { link } : {}),
        ...(media.filename !== undefined ? { filename: media.filename } : {}),
        ...(typeof info?.['mimetype'] === 'string' ? { mimetype: info['mimetype'] } : {}),
        ...(typeof info?.['size'] === 'number' ? { size: info['size'] } : {}),
      },
    } : {}),
    ...(message.replyTo ? { reply_to: message.replyTo.eventId } : {}),
    ...(message.thread ? { thread_root: message.thread.rootId } : {}),
  };
}

export async function editPayloadOf(edit: MatrixEdit, room: PluginRoomView): Promise<OutboundPayload> {
  return {
    id: edit.eventId,
    room_id: edit.roomId,
    sender: edit.sender,
    ...await senderName(room, edit.sender),
    body: edit.body,
    ...(edit.html !== undefined ? { html: edit.html } : {}),
    msgtype: edit.msgtype,
    origin_server_ts: edit.event.origin_server_ts,
    replaces: edit.target.eventId,
  };
}

async function senderName(room: PluginRoomView, userId: string): Promise<{ sender_name?: string }> {
  const name = (await room.member(userId))?.displayname;
  return name !== undefined && name !== '' ? { sender_name: name } : {};
}

/**
 * Queues the message for the room's outbound target, if it has one. Returns true when
 * something was queued (the caller then wakes the worker).
 */
export async function queueForTarget(room: PluginRoomView, scope: HandlerScope, build: () => Promise<OutboundPayload>): Promise<boolean> {
  const target = await scope.kv.get<OutboundTarget>(keys.target(room.roomId));
  if (!target) return false;
  const queued = await enqueue(scope.kv, room.roomId, target.url, await build());
  if (!queued) scope.logger.debug('webhook: message already delivered to this target; not queued again');
  return queued;
}
