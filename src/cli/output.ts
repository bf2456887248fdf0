/** The CLI's words go to the terminal, not to the structured log. */
export const out = (line = ''): void => {
  process.stdout.write(`${line}\n`);
};
export const err = (line: string): void => {
  process.stderr.write(`${line}\n`);
};

/** An error the user can act on: printed as-is, exit code 1, no stack trace. */
export class UsageError extends Error {
  constructor(message: string, readonly exitCode = 1) {
    super(message);
    this.name = 'UsageError';
  }
}
