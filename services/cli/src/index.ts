export { main, USAGE } from './main.js';
export { EXIT } from './errors.js';
