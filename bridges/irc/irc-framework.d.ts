/**
 * The few parts of irc-framework (which ships no types) the IRC bridge uses. Everything
 * it hands back is `unknown`: wire.ts checks it before anything else reads it.
 */
declare module 'irc-framework' {
  type Next = (err?: unknown) => void;
  interface Middleware {
    use(fn: (command: unknown, message: unknown, rawLine: unknown, client: unknown, next: Next) => void): void;
  }
  interface Connection {
    /** Writes one line (CRLF added); the callback runs once it is flushed. False when not connected. */
    write(data: string, callback?: (err?: unknown) => void): boolean | undefined;
  }
  class Client {
    constructor(options?: Record<string, unknown>);
    connect(options: Record<string, unknown>): void;
    quit(message?: string): void;
    on(event: string, listener: (...args: unknown[]) => void): this;
    removeAllListeners(event?: string): this;
    use(middleware: (client: Client, raw: Middleware, parsed: Middleware) => void): this;
    readonly connected: boolean;
    readonly connection: Connection;
  }
  const ircFramework: { readonly Client: typeof Client };
  export default ircFramework;
}
