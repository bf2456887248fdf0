export { sanitizeMatrixHtml, withSanitizedHtml, MATRIX_HTML_TAGS } from './sanitize-html.js';
export { cleanDisplayName, comparableName, MAX_DISPLAY_NAME } from './display-name.js';
