import type { JsonObject } from '../../events/types.js';
import type { MessageContent } from './text.js';

/** Where a message goes in a thread. */
export interface ThreadTarget {
  /** The thread's root event. */
  readonly root: string;
  /**
   * The latest event in the thread, for clients without threads (they show the message as
   * a reply to it). Defaults to the root.
   */
  readonly latest?: string;
}

/** A reply (`m.in_reply_to`). No fallback quote: the spec removed reply fallbacks in v1.13. */
export function asReply<T extends JsonObject>(content: T, replyTo: string): T {
  return { ...content, 'm.relates_to': { 'm.in_reply_to': { event_id: replyTo } } };
}

/**
 * A message in a thread (`m.thread`). With `replyTo`, a real reply inside the thread;
 * otherwise the fallback reply to the thread's latest event, marked `is_falling_back`.
 */
export function inThread<T extends JsonObject>(content: T, thread: ThreadTarget, replyTo?: string): T {
  const relation = {
    rel_type: 'm.thread',
    event_id: thread.root,
    is_falling_back: replyTo === undefined,
    'm.in_reply_to': { event_id: replyTo ?? thread.latest ?? thread.root },
  };
  return { ...content, 'm.relates_to': relation };
}

/** Adds reply and thread relations as options ask; unchanged without either. */
export function withRelations<T extends JsonObject>(content: T, relations: { readonly replyTo?: string; readonly thread?: ThreadTarget }): T {
  if (relations.thread) return inThread(content, relations.thread, relations.replyTo);
  if (relations.replyTo !== undefined) return asReply(content, relations.replyTo);
  return content;
}

/**
 * An edit (`m.replace`) of `target`: `m.new_content` is the full new message, and the
 * outer body a "* "-prefixed fallback. Relations of the new content are dropped (an edit
 * cannot move a message into a thread or change what it replies to).
 */
export function editContent(target: string, newContent: MessageContent): MessageContent {
  const { 'm.relates_to': _dropped, ...replacement } = newContent;
  const fallback: JsonObject & { msgtype: string; body: string } = { ...replacement, body: `* ${newContent.body}` };
  if (typeof replacement['formatted_body'] === 'string') fallback['formatted_body'] = `* ${replacement['formatted_body']}`;
  return {
    ...fallback,
    'm.new_content': replacement,
    'm.relates_to': { rel_type: 'm.replace', event_id: target },
  };
}

/** An `m.reaction` content: `key` is usually an emoji. */
export function reactionContent(target: string, key: string): JsonObject {
  return { 'm.relates_to': { rel_type: 'm.annotation', event_id: target, key } };
}
