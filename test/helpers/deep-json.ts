/** `{"a":{"a":…1…}}`, `depth` objects deep, as text (JSON.stringify cannot make it; JSON.parse reads it). */
export function deepObjectText(depth: number): string {
  return `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
}

export function deepArrayText(depth: number): string {
  return `${'['.repeat(depth)}${']'.repeat(depth)}`;
}

/** `value` as JSON text, with every string `"<DEEP>"` in it replaced by `deep` (raw JSON text). */
export function withDeep(value: unknown, deep: string): string {
  return JSON.stringify(value).split('"<DEEP>"').join(deep);
}
