/**
 * URLs as they may be logged. A query value can be a secret (`access_token`, a media
 * link's `sig`, a pre-signed URL's signature): which parameters came is kept, never what
 * they said.
 */

/** `?a=[redacted]&b=[redacted]` for a query string (without its `?`); '' when it has none. */
export function redactedQuery(query: string): string {
  const names: string[] = [];
  for (const [name] of new URLSearchParams(query.split('#')[0])) names.push(`${encodeURIComponent(name)}=[redacted]`);
  return names.length > 0 ? `?${names.join('&')}` : '';
}

/** An absolute URL someone else gave (a remote avatar): origin and path, query values redacted, no credentials or fragment. */
export function loggableUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return '(not a URL)';
  }
  if (parsed.protocol === 'mxc:') return `mxc://${parsed.host}${parsed.pathname}`;
  return `${parsed.origin}${parsed.pathname}${redactedQuery(parsed.search.slice(1))}`;
}
