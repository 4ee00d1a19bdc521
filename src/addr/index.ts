export * from './locator.js';
export * from './hit.js';
