import type { LlmCall } from './types.js';

/** A duration for a person: `820 ms`, `4.5 ms`, `1.25 s`. */
export function formatMs(ms: number): string {
  if (Math.abs(ms) >= 1000) return `${trim((ms / 1000).toFixed(2))} s`;
  return `${Math.abs(ms) >= 10 ? Math.round(ms) : trim(ms.toFixed(1))} ms`;
}

/** `1.50` → `1.5`, `2.0` → `2`. */
const trim = (fixed: string): string => fixed.replace(/\.?0+$/, '');

/**
 * One line for a person: `openai chat gpt-4o-mini 123→45 tok (168) 820 ms ttft 210 ms`. Unknown pieces are left out;
 * a token count that is missing on one side shows as `?`.
 */
export function summarizeLlmCall(call: LlmCall): string {
  const parts: string[] = [];
  if (call.provider !== undefined) parts.push(call.provider);
  if (call.operation !== undefined) parts.push(call.operation);
  if (call.model !== undefined) parts.push(call.model);
  if (call.inputTokens !== undefined || call.outputTokens !== undefined) {
    parts.push(`${call.inputTokens ?? '?'}→${call.outputTokens ?? '?'} tok`);
  }
  if (call.totalTokens !== undefined) parts.push(`(${call.totalTokens})`);
  parts.push(formatMs(call.durationMs));
  if (call.ttftMs !== undefined) parts.push(`ttft ${formatMs(call.ttftMs)}`);
  return parts.join(' ');
}
