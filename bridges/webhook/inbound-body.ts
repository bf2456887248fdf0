import { z } from 'zod';

const IMAGE_URL = /^(mxc:\/\/[^/\s]+\/[^/\s]+|https?:\/\/\S+)$/i;

/**
 * What a hook accepts. Unknown fields are ignored, so senders written for other webhook
 * APIs (which often add their own) still work.
 */
export const inboundBodySchema = z.object({
  text: z.string({ error: (issue) => (issue.input === undefined ? 'is required (the message text, a string)' : 'must be a string') })
    .refine((text) => text.trim() !== '', 'must not be empty'),
  html: z.string({ error: 'must be a string (the message as HTML)' }).optional(),
  username: z.string({ error: 'must be a string' }).trim()
    .min(1, 'must not be empty')
    .max(64, 'must be at most 64 characters')
    .optional(),
  avatar_url: z.string({ error: 'must be a string' })
    .regex(IMAGE_URL, 'must be an mxc:// or http(s):// URL')
    .optional(),
  msgtype: z.enum(['m.text', 'm.notice', 'm.emote'], { error: 'must be m.text, m.notice or m.emote' }).optional(),
  /** The caller's id for this message: a repeat with the same id posts nothing. */
  id: z.string({ error: 'must be a string' }).min(1, 'must not be empty').max(200, 'must be at most 200 characters').optional(),
}, { error: 'the body must be a JSON object' });

export type InboundBody = z.output<typeof inboundBodySchema>;

export type Parsed = { readonly ok: true; readonly body: InboundBody } | { readonly ok: false; readonly error: string };

/** Validates a parsed JSON body; the error names each field that is wrong. */
export function parseInboundBody(value: unknown): Parsed {
  const result = inboundBodySchema.safeParse(value);
  if (result.success) return { ok: true, body: result.data };
  const problems = result.error.issues.map((issue) => {
    const field = issue.path.map(String).join('.');
    return field === '' ? issue.message : `'${field}' ${issue.message}`;
  });
  return { ok: false, error: problems.join('; ') };
}
