import { z } from 'zod';

const namespace = z.object({
  regex: z.string({ error: 'must be a string' }).refine((value) => {
    try {
      new RegExp(value);
      return true;
    } catch {
      return false;
    }
  }, 'is not a valid regular expression'),
  exclusive: z.boolean({ error: 'must be true or false' }),
}, { error: 'must be a mapping with regex and exclusive' });

const namespaceList = z.array(namespace, { error: 'must be a list' }).optional();

/** An application service registration, as the spec's "Registration" section defines it. */
export const registrationSchema = z.object({
  id: z.string({ error: 'is required and must be a string' }).min(1, 'must not be empty'),
  url: z.string({ error: 'is required: a URL, or null for no transactions' }).nullable(),
  as_token: z.string({ error: 'is required and must be a string' }).min(1, 'must not be empty'),
  hs_token: z.string({ error: 'is required and must be a string' }).min(1, 'must not be empty'),
  sender_localpart: z.string({ error: 'is required and must be a string' }).min(1, 'must not be empty'),
  namespaces: z.object({
    users: namespaceList,
    aliases: namespaceList,
    rooms: namespaceList,
  }, { error: 'is required and must be a mapping' }),
  rate_limited: z.boolean({ error: 'must be true or false' }).optional(),
  protocols: z.array(z.string(), { error: 'must be a list of strings' }).nullable().optional(),
  receive_ephemeral: z.boolean({ error: 'must be true or false' }).optional(),
  'de.sorunome.msc2409.push_ephemeral': z.boolean({ error: 'must be true or false' }).optional(),
  /** MSC3202: device lists, one-time-key counts and fallback key types in transactions (encryption). */
  'org.matrix.msc3202': z.boolean({ error: 'must be true or false' }).optional(),
}, { error: 'must be a mapping' });

export type Registration = z.infer<typeof registrationSchema>;
export type NamespaceRule = z.infer<typeof namespace>;
