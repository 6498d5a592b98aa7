import type { AnyValue, KeyValue } from '../otlp/model.js';
import type { LlmMessage } from './types.js';

/**
 * The messages of an LLM call, from either convention:
 * - current GenAI (semconv ≥ 1.37): `gen_ai.input.messages` / `gen_ai.output.messages`, JSON arrays of
 *   `{role, parts: [{type: "text", content} | {type: "tool_call", id, name, arguments} |
 *   {type: "tool_call_response", id, result} | …], finish_reason?}`, and `gen_ai.system_instructions`, a JSON array of
 *   parts. Sent as a JSON string (the usual way) or as an OTLP array/kvlist value.
 * - OpenLLMetry/Traceloop: one attribute per piece, `gen_ai.prompt.<i>.role|content|tool_call_id|tool_calls.<j>.*` and
 *   `gen_ai.completion.<i>.role|content|finish_reason|tool_calls.<j>.*`.
 */

/** An OTLP value as plain JS (kvlists as objects), so structured message attributes read like parsed JSON. */
function plain(v: AnyValue): unknown {
  switch (v.kind) {
    case 'string':
    case 'bool':
    case 'double':
      return v.value;
    case 'int':
      return Number(v.value);
    case 'bytes':
      return Buffer.from(v.value).toString('base64');
    case 'array':
      return v.values.map(plain);
    case 'kvlist':
      return Object.fromEntries(v.values.map((kv) => [kv.key, kv.value === undefined ? null : plain(kv.value)]));
    case 'empty':
      return null;
  }
}

/** A JSON string parsed, or a structured value made plain; `undefined` when the text is not JSON. */
export function structuredValue(v: AnyValue): unknown {
  if (v.kind !== 'string') return plain(v);
  try {
    return JSON.parse(v.value) as unknown;
  } catch {
    return undefined;
  }
}

const isRecord = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);

/** Display text of any JSON value: strings as they are, the rest as compact JSON. */
export function displayText(x: unknown): string {
  return typeof x === 'string' ? x : JSON.stringify(x) ?? '';
}

/** Text parts become the content; everything else (tool calls, results' ids, media, reasoning) goes to `extra`. */
function fromParts(role: string, parts: unknown, finishReason: unknown): LlmMessage {
  const content: string[] = [];
  const extra: string[] = [];
  for (const part of Array.isArray(parts) ? parts : [parts]) {
    if (!isRecord(part)) {
      if (part !== undefined && part !== null) content.push(displayText(part));
      continue;
    }
    switch (part.type) {
      case 'text':
        content.push(displayText(part.content));
        break;
      case 'tool_call':
        extra.push(`tool_call ${displayText(part.name)}(${part.arguments === undefined ? '' : displayText(part.arguments)})`);
        break;
      case 'tool_call_response':
        content.push(displayText(part.result ?? part.response));
        if (part.id !== undefined) extra.push(`tool_call_response ${displayText(part.id)}`);
        break;
      case 'reasoning':
        extra.push(`reasoning: ${displayText(part.content)}`);
        break;
      default:
        extra.push(`[${displayText(part.type ?? 'part')}${typeof part.mime_type === 'string' ? ' ' + part.mime_type : ''}]`);
    }
  }
  if (finishReason !== undefined && finishReason !== null) extra.push(`finish_reason: ${displayText(finishReason)}`);
  return withExtra({ role, content: content.join('\n') }, extra);
}

function withExtra(message: LlmMessage, extra: readonly string[]): LlmMessage {
  if (extra.length > 0) message.extra = extra.join('; ');
  return message;
}

/** `gen_ai.input.messages` / `gen_ai.output.messages`; text that is not JSON is shown as one message of unknown role. */
export function genAiMessages(v: AnyValue): LlmMessage[] {
  const parsed = structuredValue(v);
  if (parsed === undefined) return [{ role: '', content: v.kind === 'string' ? v.value : '' }];
  return (Array.isArray(parsed) ? parsed : [parsed]).map((m) =>
    isRecord(m) ? fromParts(typeof m.role === 'string' ? m.role : '', m.parts ?? m.content, m.finish_reason) : { role: '', content: displayText(m) },
  );
}

/** `gen_ai.system_instructions`: parts (or plain text) as one `system` message. */
export function systemInstructions(v: AnyValue): LlmMessage {
  const parsed = structuredValue(v);
  if (parsed === undefined) return { role: 'system', content: v.kind === 'string' ? v.value : '' };
  return fromParts('system', parsed, undefined);
}

const INDEXED = /^gen_ai\.(prompt|completion)\.(\d+)\.(.+)$/;

interface IndexedMessage {
  fields: Map<string, string>;
  toolCalls: Map<number, Map<string, string>>;
}

/** OpenLLMetry's `gen_ai.prompt.<i>.*` and `gen_ai.completion.<i>.*`, in index order. */
export function indexedMessages(attrs: readonly KeyValue[]): { input: LlmMessage[]; output: LlmMessage[] } {
  const byKind = { prompt: new Map<number, IndexedMessage>(), completion: new Map<number, IndexedMessage>() };
  for (const a of attrs) {
    const m = INDEXED.exec(a.key);
    if (m === null || a.value === undefined) continue;
    const messages = byKind[m[1] as 'prompt' | 'completion'];
    const index = Number(m[2]);
    let message = messages.get(index);
    if (message === undefined) messages.set(index, (message = { fields: new Map(), toolCalls: new Map() }));
    const text = displayText(plain(a.value));
    const call = /^tool_calls\.(\d+)\.(.+)$/.exec(m[3]);
    if (call === null) {
      message.fields.set(m[3], text);
      continue;
    }
    let fields = message.toolCalls.get(Number(call[1]));
    if (fields === undefined) message.toolCalls.set(Number(call[1]), (fields = new Map()));
    fields.set(call[2], text);
  }
  return { input: inOrder(byKind.prompt), output: inOrder(byKind.completion) };
}

function inOrder(messages: Map<number, IndexedMessage>): LlmMessage[] {
  return [...messages.entries()]
    .sort(([a], [b]) => a - b)
    .map(([, { fields, toolCalls }]) => {
      const extra = [...toolCalls.entries()]
        .sort(([a], [b]) => a - b)
        .map(([, call]) => `tool_call ${call.get('name') ?? ''}(${call.get('arguments') ?? ''})`);
      const toolCallId = fields.get('tool_call_id');
      if (toolCallId !== undefined) extra.push(`tool_call_response ${toolCallId}`);
      const finish = fields.get('finish_reason');
      if (finish !== undefined) extra.push(`finish_reason: ${finish}`);
      return withExtra({ role: fields.get('role') ?? '', content: fields.get('content') ?? '' }, extra);
    });
}
