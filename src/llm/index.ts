export type { LlmCall, LlmMessage } from './types.js';
export { llmCallOf } from './recognize.js';
export { summarizeLlmCall, formatMs } from './summary.js';
