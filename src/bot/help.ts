import type { BotCommand } from './command.js';
import { escapeHtml } from '../format/html-parse.js';

/** The built-in command; plugins cannot replace it. */
export const HELP_NAME = 'help';

export interface HelpText {
  readonly text: string;
  readonly html: string;
}

/** Every command with its usage, summary and the power level it needs, plain and as HTML. */
export function helpText(commands: readonly BotCommand[], prefix: string, inManagementRoom: boolean): HelpText {
  const all: BotCommand[] = [{ name: HELP_NAME, summary: 'lists the commands', run: async () => undefined }, ...commands];
  const line = (c: BotCommand) => {
    const usage = `${prefix}${c.name}${c.usage ? ` ${c.usage}` : ''}`;
    const level = (c.powerLevel ?? 0) > 0 ? ` (needs power level ${c.powerLevel})` : '';
    return { usage, rest: ` — ${c.summary}${level}` };
  };
  const lines = all.map(line);
  const note = inManagementRoom ? ` Here, in your management room, the "${prefix}" can be left out.` : '';
  const heading = `Commands:${note}`;
  return {
    text: [heading, ...lines.map((l) => `${l.usage}${l.rest}`)].join('\n'),
    html: `<p>${escapeHtml(heading)}</p><ul>${lines.map((l) => `<li><code>${escapeHtml(l.usage)}</code>${escapeHtml(l.rest)}</li>`).join('')}</ul>`,
  };
}
