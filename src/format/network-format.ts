/**
 * A remote network's own markup (IRC control codes, Slack mrkdwn, Telegram entities …),
 * given by a plugin: to Matrix text and back. The bridge's IRC plugin implements it for
 * IRC; `plainTextFormat` and `markdownFormat` cover networks with no markup or Markdown.
 */
import { htmlToText, type HtmlToTextOptions } from './html-to-text.js';
import { formatMarkdown, type FormattedText } from './markdown.js';

/** A Matrix message's text as a plugin receives it (`MatrixMessage`, `MatrixEdit`). */
export interface MatrixText {
  readonly body: string;
  /** `formatted_body`, when the message has HTML. */
  readonly html?: string;
}

export interface NetworkFormat {
  /** The network's markup as Matrix text (plain body, and HTML when it is formatted). */
  toMatrix(markup: string): FormattedText;
  /** Matrix text in the network's markup; `mention` names the users that pills mention. */
  fromMatrix(text: MatrixText, options?: HtmlToTextOptions): string;
}

/** No markup: text goes as it is; Matrix HTML arrives as plain text. */
export const plainTextFormat: NetworkFormat = {
  toMatrix: (markup) => ({ text: markup }),
  fromMatrix: (text, options) => (text.html !== undefined ? htmlToText(text.html, options) : text.body),
};

/** Markdown on the network: rendered to HTML for Matrix; Matrix HTML arrives as plain text. */
export const markdownFormat: NetworkFormat = {
  toMatrix: (markup) => formatMarkdown(markup),
  fromMatrix: plainTextFormat.fromMatrix,
};

