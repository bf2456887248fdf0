/** The keys of the config schema, and the keys docs/configuration.md's tables document. */
import { z } from 'zod';

/** Dotted paths of every key, down to the leaves (`bot.invites.users`). */
export function schemaKeys(schema: z.ZodType, prefix = ''): string[] {
  const inner = unwrap(schema);
  if (!(inner instanceof z.ZodObject)) return [];
  return Object.entries(inner.shape as Record<string, z.ZodType>).flatMap(([key, value]) => {
    const path = prefix + key;
    const below = schemaKeys(value, `${path}.`);
    return below.length > 0 ? below : [path];
  });
}

function unwrap(schema: z.ZodType): z.ZodType {
  let s = schema;
  while (s instanceof z.ZodDefault || s instanceof z.ZodPrefault || s instanceof z.ZodOptional || s instanceof z.ZodNullable) {
    s = s.def.innerType as z.ZodType;
  }
  return s;
}

/** `## section` headings, then table rows whose first cell names keys: `` `bind`, `port` ``. */
export function documentedKeys(markdown: string): string[] {
  const keys: string[] = [];
  let section: string | undefined;
  for (const line of markdown.split('\n')) {
    const heading = /^##\s+(\S+)\s*$/.exec(line);
    if (heading) { section = heading[1]; continue; }
    const cell = /^\|([^|]*)\|/.exec(line)?.[1];
    if (!section || cell === undefined) continue;
    // A row naming the section itself documents a section that is one key (a map such as `permissions`).
    for (const m of cell.matchAll(/`([\w.]+)`/g)) keys.push(m[1] === section ? section : `${section}.${m[1]}`);
  }
  return keys;
}

const FILE_NAME = /\.(ya?ml|json|ts|js|md)$/;

/**
 * Config keys named in the prose: `` `store.sync` ``, `` `store.sync: true` `` (the key part),
 * for the given top-level sections; file names such as `homeserver.yaml` are not keys.
 */
export function inlineConfigKeys(markdown: string, sections: readonly string[]): string[] {
  const span = new RegExp(`\`((?:${sections.join('|')})\\.[A-Za-z_.]*[A-Za-z_])(?::[^\`]*)?\``, 'g');
  return [...markdown.matchAll(span)].map((m) => m[1]!).filter((key) => !FILE_NAME.test(key));
}

/** A key, or a section above keys (`bot.invites`), of the given schema keys. */
export const isKeyOrSection = (key: string, keys: readonly string[]): boolean =>
  keys.some((k) => k === key || k.startsWith(`${key}.`));
