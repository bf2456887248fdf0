/** An HTTP request to a plugin route, body already parsed when it was JSON. */
export interface PluginRequest {
  readonly method: string;
  readonly params: Readonly<Record<string, string>>;
  readonly query: Readonly<Record<string, string>>;
  readonly headers: Readonly<Record<string, string | undefined>>;
  /** Parsed JSON, or undefined when the body was empty. Not-JSON bodies are refused (400) before the handler. */
  readonly body: unknown;
}

export interface PluginResponse {
  readonly status: number;
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

export type PluginRouteHandler = (req: PluginRequest) => Promise<PluginResponse>;

export interface PluginRouteOptions {
  /** Largest request body accepted, in bytes (413 `M_TOO_LARGE` above it). Default 1 MiB. */
  readonly maxBodyBytes?: number;
}

/**
 * Routes on the bridge's own listener, under `/bridge/<plugin name>`. No homeserver auth:
 * the plugin authenticates its callers (e.g. by an unguessable secret in the path).
 */
export interface PluginHttp {
  route(method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, handler: PluginRouteHandler, options?: PluginRouteOptions): void;
  /** The public base URL of the plugin's routes, from `appservice.url`. */
  readonly baseUrl: string;
}
