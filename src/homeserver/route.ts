/**
 * A request path built from a template with named parameters. Each parameter is
 * percent-encoded on its own (room ids, aliases and user ids carry `!`, `#`, `@`, `:`),
 * and the template survives as a low-cardinality label for logs and metrics.
 */
export interface Route {
  /** e.g. `/_matrix/client/v3/rooms/{roomId}/send/{eventType}/{txnId}` */
  readonly template: string;
  /** The encoded path, without query string. */
  readonly path: string;
}

export function route(template: string, params: Readonly<Record<string, string>> = {}): Route {
  const path = template.replace(/\{(\w+)\}/g, (_, name: string) => {
    const value = params[name];
    if (value === undefined) throw new Error(`route ${template}: parameter ${name} is missing`);
    return encodeURIComponent(value);
  });
  return { template, path };
}
