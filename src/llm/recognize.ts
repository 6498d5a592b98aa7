import type { AnyValue, KeyValue, Resource, Span } from '../otlp/model.js';
import { genAiMessages, indexedMessages, systemInstructions } from './messages.js';
import type { LlmCall } from './types.js';

/**
 * Recognises an LLM call on a span, for the console summary and the fixture's LLM queries. Both conventions are read
 * and the current keys win where both are present:
 *
 * | what            | current GenAI semconv                    | OpenLLMetry / Traceloop (older semconv)                     |
 * |-----------------|------------------------------------------|-------------------------------------------------------------|
 * | provider        | gen_ai.provider.name                     | gen_ai.system, llm.vendor                                   |
 * | operation       | gen_ai.operation.name                    | llm.request.type                                            |
 * | models          | gen_ai.request.model, gen_ai.response.model | the same, llm.request.model, llm.response.model          |
 * | tokens          | gen_ai.usage.input_tokens, output_tokens | gen_ai.usage.prompt_tokens, completion_tokens, llm.usage.total_tokens |
 * | messages        | gen_ai.input.messages, gen_ai.output.messages, gen_ai.system_instructions (JSON) | gen_ai.prompt.N.*, gen_ai.completion.N.* |
 * | time to first token | gen_ai.response.time_to_first_chunk (s) | the first `llm.content.completion.chunk` event (one per streamed chunk) |
 *
 * OTel defines time to first token only as the metric `gen_ai.server.time_to_first_token` (seconds); some
 * instrumentations put that name on the span, so it is read too. OpenLLMetry records it only as a metric as well, but
 * it adds a `llm.content.completion.chunk` event per streamed chunk, so the first one's time gives it.
 *
 * A span is an LLM call when it names a provider or a model, reports token usage, or carries messages; spans with
 * only `gen_ai.operation.name` (a tool execution) or only `traceloop.*` (workflow, task) are not.
 */

/** Keys only the current conventions have: their presence makes the call `gen_ai`. */
const CURRENT_KEYS = ['gen_ai.provider.name', 'gen_ai.input.messages', 'gen_ai.output.messages', 'gen_ai.system_instructions'];
const PROVIDER_KEYS = ['gen_ai.provider.name', 'gen_ai.system', 'llm.vendor'];
const REQUEST_MODEL_KEYS = ['gen_ai.request.model', 'llm.request.model'];
const RESPONSE_MODEL_KEYS = ['gen_ai.response.model', 'llm.response.model'];
const INPUT_TOKEN_KEYS = ['gen_ai.usage.input_tokens', 'gen_ai.usage.prompt_tokens', 'llm.usage.prompt_tokens'];
const OUTPUT_TOKEN_KEYS = ['gen_ai.usage.output_tokens', 'gen_ai.usage.completion_tokens', 'llm.usage.completion_tokens'];
const TOTAL_TOKEN_KEYS = ['gen_ai.usage.total_tokens', 'llm.usage.total_tokens'];
const TTFT_SECONDS_KEYS = ['gen_ai.response.time_to_first_chunk', 'gen_ai.server.time_to_first_token'];
const FIRST_CHUNK_EVENT = 'llm.content.completion.chunk';
const MESSAGE_PREFIXES = ['gen_ai.prompt.', 'gen_ai.completion.'];

const NS_PER_MS = 1_000_000;

/** The first attribute of each key (what most readers of OTLP do). */
function attributeIndex(attrs: readonly KeyValue[]): Map<string, AnyValue> {
  const index = new Map<string, AnyValue>();
  for (const a of attrs) if (a.value !== undefined && !index.has(a.key)) index.set(a.key, a.value);
  return index;
}

function firstOf(index: ReadonlyMap<string, AnyValue>, keys: readonly string[]): AnyValue | undefined {
  for (const key of keys) {
    const v = index.get(key);
    if (v !== undefined) return v;
  }
  return undefined;
}

function text(v: AnyValue | undefined): string | undefined {
  return v?.kind === 'string' && v.value !== '' ? v.value : undefined;
}

/** Integers, doubles and numeric strings (some SDKs send token counts as text). */
function numberOf(v: AnyValue | undefined): number | undefined {
  if (v === undefined) return undefined;
  if (v.kind === 'int') return Number(v.value);
  if (v.kind === 'double') return Number.isFinite(v.value) ? v.value : undefined;
  if (v.kind === 'string' && v.value.trim() !== '') {
    const n = Number(v.value);
    return Number.isFinite(n) ? n : undefined;
  }
  return undefined;
}

export function llmCallOf(span: Span, resource?: Resource): LlmCall | undefined {
  const attrs = attributeIndex(span.attributes);
  const provider = text(firstOf(attrs, PROVIDER_KEYS)) ?? text(firstOf(attributeIndex(resource?.attributes ?? []), PROVIDER_KEYS));
  const requestModel = text(firstOf(attrs, REQUEST_MODEL_KEYS));
  const model = text(firstOf(attrs, RESPONSE_MODEL_KEYS)) ?? requestModel;
  const inputTokens = numberOf(firstOf(attrs, INPUT_TOKEN_KEYS));
  const outputTokens = numberOf(firstOf(attrs, OUTPUT_TOKEN_KEYS));
  const hasMessages = CURRENT_KEYS.some((k) => attrs.has(k)) || span.attributes.some((a) => MESSAGE_PREFIXES.some((p) => a.key.startsWith(p)));
  const hasProvider = PROVIDER_KEYS.some((k) => attrs.has(k));
  if (!hasProvider && model === undefined && inputTokens === undefined && outputTokens === undefined && !hasMessages) return undefined;

  const call: LlmCall = {
    convention: CURRENT_KEYS.some((k) => attrs.has(k)) ? 'gen_ai' : 'openllmetry',
    durationMs: Number(span.endTimeUnixNano - span.startTimeUnixNano) / NS_PER_MS,
    ...messagesOf(span.attributes, attrs),
  };
  const operation = text(attrs.get('gen_ai.operation.name')) ?? text(attrs.get('llm.request.type'));
  const totalTokens = numberOf(firstOf(attrs, TOTAL_TOKEN_KEYS)) ?? (inputTokens !== undefined && outputTokens !== undefined ? inputTokens + outputTokens : undefined);
  const optional: Partial<LlmCall> = {
    provider,
    operation,
    model,
    requestModel,
    inputTokens,
    outputTokens,
    totalTokens,
    ttftMs: ttftMs(span, attrs),
    workflow: text(attrs.get('traceloop.workflow.name')),
    entity: text(attrs.get('traceloop.entity.name')),
  };
  // Absent pieces stay absent (not `undefined` keys), so JSON answers and deep equality only show what is known.
  for (const [k, v] of Object.entries(optional)) if (v !== undefined) (call as unknown as Record<string, unknown>)[k] = v;
  return call;
}

function messagesOf(attrList: readonly KeyValue[], attrs: ReadonlyMap<string, AnyValue>): Pick<LlmCall, 'input' | 'output'> {
  const indexed = indexedMessages(attrList);
  const system = attrs.get('gen_ai.system_instructions');
  const inputJson = attrs.get('gen_ai.input.messages');
  const outputJson = attrs.get('gen_ai.output.messages');
  const input = inputJson ? genAiMessages(inputJson) : indexed.input;
  return {
    input: system ? [systemInstructions(system), ...input] : input,
    output: outputJson ? genAiMessages(outputJson) : indexed.output,
  };
}

function ttftMs(span: Span, attrs: ReadonlyMap<string, AnyValue>): number | undefined {
  const seconds = numberOf(firstOf(attrs, TTFT_SECONDS_KEYS));
  // Rounded to the nanosecond: 0.21 s × 1000 must read 210, not 210.00000000000003.
  if (seconds !== undefined) return Math.round(seconds * 1e9) / 1e6;
  const chunk = span.events.find((e) => e.name === FIRST_CHUNK_EVENT);
  return chunk === undefined ? undefined : Number(chunk.timeUnixNano - span.startTimeUnixNano) / NS_PER_MS;
}
