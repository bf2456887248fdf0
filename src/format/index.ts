export { sanitizeMatrixHtml, withSanitizedHtml, MATRIX_HTML_TAGS } from './sanitize-html.js';
export { cleanDisplayName, comparableName, MAX_DISPLAY_NAME } from './display-name.js';
export { htmlToText, type HtmlToTextOptions } from './html-to-text.js';
export { markdownToHtml, textToHtml, formatHtml, formatMarkdown, type FormattedText } from './markdown.js';
export { parseMatrixTo, matrixToLink, userPill, roomPill, mentionedUsers, type MatrixToTarget } from './matrix-to.js';
export { stripReplyFallback, stripHtmlReplyFallback, stripBodyReplyFallback } from './reply-fallback.js';
export { plainTextFormat, markdownFormat, type NetworkFormat, type MatrixText } from './network-format.js';
export { escapeHtml, walkHtml, type HtmlVisitor } from './html-parse.js';
