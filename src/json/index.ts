export { stringifyJson, isStackOverflow } from './stringify.js';
