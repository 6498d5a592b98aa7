/** What the gateway recognises of an LLM call on a span (shared contract, issue 5). */

export interface LlmMessage {
  role: string;
  content: string;
  /** Tool calls, tool results, finish reason, non-text parts… as display text. */
  extra?: string;
}

export interface LlmCall {
  /** `gen_ai` when keys only the current GenAI conventions have are present, else `openllmetry` (older shapes). */
  convention: 'gen_ai' | 'openllmetry';
  /** gen_ai.provider.name | gen_ai.system | llm.vendor */
  provider?: string;
  /** gen_ai.operation.name | llm.request.type */
  operation?: string;
  /** Response model, else request model. */
  model?: string;
  requestModel?: string;
  inputTokens?: number;
  outputTokens?: number;
  totalTokens?: number;
  /** Time to first token in ms, when known (see ttft in recognize.ts for the sources). */
  ttftMs?: number;
  durationMs: number;
  /** OpenLLMetry/Traceloop: `traceloop.workflow.name` and `traceloop.entity.name` (additive to the contract). */
  workflow?: string;
  entity?: string;
  input: LlmMessage[];
  output: LlmMessage[];
}
