export { sanitizeMatrixHtml, withSanitizedHtml, MATRIX_HTML_TAGS } from './sanitize-html.js';
