/** LLM call recognition (src/llm) on attribute sets as the instrumentations write them, for both conventions. */
import t from 'tap';
import { llmCallOf, summarizeLlmCall, type LlmCall } from '../src/llm/index.js';
import type { AnyValue, Span } from '../src/otlp/model.js';
import { attrs, event, iv, kv, span, sv, T0 } from './helpers/model-build.js';

const MS = 1_000_000n;
/** A span of 820 ms with these attributes (and events). */
const llmSpan = (attributes: Span['attributes'], events: Span['events'] = []): Span => span({ attributes, events, endTimeUnixNano: T0 + 820n * MS });
const array = (...values: AnyValue[]): AnyValue => ({ kind: 'array', values });

t.test('current GenAI conventions: JSON messages with parts, system instructions, time to first chunk', async (t) => {
  const s = llmSpan([
    kv('gen_ai.operation.name', sv('chat')),
    kv('gen_ai.provider.name', sv('openai')),
    kv('gen_ai.request.model', sv('gpt-4o-mini')),
    kv('gen_ai.response.model', sv('gpt-4o-mini-2024-07-18')),
    kv('gen_ai.response.finish_reasons', array(sv('stop'))),
    kv('gen_ai.usage.input_tokens', iv(123)),
    kv('gen_ai.usage.output_tokens', iv(45)),
    kv('gen_ai.system_instructions', sv('[{"type":"text","content":"You are terse."}]')),
    kv(
      'gen_ai.input.messages',
      sv(
        JSON.stringify([
          { role: 'user', parts: [{ type: 'text', content: 'Weather in Paris?' }] },
          { role: 'assistant', parts: [{ type: 'tool_call', id: 'call_1', name: 'get_weather', arguments: { location: 'Paris' } }] },
          { role: 'tool', parts: [{ type: 'tool_call_response', id: 'call_1', result: 'rainy, 57°F' }] },
        ]),
      ),
    ),
    kv('gen_ai.output.messages', sv('[{"role":"assistant","parts":[{"type":"text","content":"Rainy."},{"type":"reasoning","content":"short"}],"finish_reason":"stop"}]')),
    kv('gen_ai.response.time_to_first_chunk', { kind: 'double', value: 0.21 }),
  ]);
  const expected: LlmCall = {
    convention: 'gen_ai',
    durationMs: 820,
    input: [
      { role: 'system', content: 'You are terse.' },
      { role: 'user', content: 'Weather in Paris?' },
      { role: 'assistant', content: '', extra: 'tool_call get_weather({"location":"Paris"})' },
      { role: 'tool', content: 'rainy, 57°F', extra: 'tool_call_response call_1' },
    ],
    output: [{ role: 'assistant', content: 'Rainy.', extra: 'reasoning: short; finish_reason: stop' }],
    provider: 'openai',
    operation: 'chat',
    model: 'gpt-4o-mini-2024-07-18',
    requestModel: 'gpt-4o-mini',
    inputTokens: 123,
    outputTokens: 45,
    totalTokens: 168,
    ttftMs: 210,
  };
  const call = llmCallOf(s);
  t.strictSame(call, expected);
  t.equal(summarizeLlmCall(call!), 'openai chat gpt-4o-mini-2024-07-18 123→45 tok (168) 820 ms ttft 210 ms');
});

t.test('OpenLLMetry/Traceloop: indexed prompts and completions, llm.*, traceloop.*, first chunk event', async (t) => {
  const s = llmSpan(
    attrs({
      'llm.request.type': 'chat',
      'gen_ai.system': 'OpenAI',
      'gen_ai.request.model': 'gpt-3.5-turbo',
      'gen_ai.response.model': 'gpt-3.5-turbo-0125',
      'llm.usage.total_tokens': 170n,
      'gen_ai.usage.prompt_tokens': 123n,
      'gen_ai.usage.completion_tokens': 45n,
      'llm.is_streaming': true,
      'gen_ai.prompt.0.role': 'system',
      'gen_ai.prompt.0.content': 'You are terse.',
      'gen_ai.prompt.1.role': 'user',
      'gen_ai.prompt.1.content': 'Weather in Paris?',
      'gen_ai.completion.0.role': 'assistant',
      'gen_ai.completion.0.finish_reason': 'tool_calls',
      'gen_ai.completion.0.tool_calls.0.id': 'call_1',
      'gen_ai.completion.0.tool_calls.0.name': 'get_weather',
      'gen_ai.completion.0.tool_calls.0.arguments': '{"location":"Paris"}',
      'traceloop.workflow.name': 'weather_bot',
      'traceloop.entity.name': 'openai.chat',
    }),
    [event('llm.content.completion.chunk', [], T0 + 210n * MS), event('llm.content.completion.chunk', [], T0 + 300n * MS)],
  );
  t.strictSame(llmCallOf(s), {
    convention: 'openllmetry',
    durationMs: 820,
    input: [
      { role: 'system', content: 'You are terse.' },
      { role: 'user', content: 'Weather in Paris?' },
    ],
    output: [{ role: 'assistant', content: '', extra: 'tool_call get_weather({"location":"Paris"}); finish_reason: tool_calls' }],
    provider: 'OpenAI',
    operation: 'chat',
    model: 'gpt-3.5-turbo-0125',
    requestModel: 'gpt-3.5-turbo',
    inputTokens: 123,
    outputTokens: 45,
    totalTokens: 170,
    ttftMs: 210,
    workflow: 'weather_bot',
    entity: 'openai.chat',
  });
});

t.test('missing pieces: only a model; messages as an OTLP value; text that is not JSON; provider from the resource', async (t) => {
  t.strictSame(llmCallOf(llmSpan(attrs({ 'gen_ai.request.model': 'llama3' }))), {
    convention: 'openllmetry',
    durationMs: 820,
    input: [],
    output: [],
    model: 'llama3',
    requestModel: 'llama3',
  });
  const structured: AnyValue = {
    kind: 'array',
    values: [{ kind: 'kvlist', values: [kv('role', sv('user')), kv('parts', array({ kind: 'kvlist', values: [kv('type', sv('text')), kv('content', sv('hi'))] }))] }],
  };
  const resource = { attributes: attrs({ 'gen_ai.provider.name': 'ollama' }), droppedAttributesCount: 0 };
  const call = llmCallOf(llmSpan([kv('gen_ai.input.messages', structured), kv('gen_ai.output.messages', sv('not json')), kv('gen_ai.usage.output_tokens', sv('7'))]), resource);
  t.strictSame(call, {
    convention: 'gen_ai',
    durationMs: 820,
    input: [{ role: 'user', content: 'hi' }],
    output: [{ role: '', content: 'not json' }],
    provider: 'ollama',
    outputTokens: 7,
  });
  t.equal(summarizeLlmCall(call!), 'ollama ?→7 tok 820 ms');
});

t.test('not LLM calls: plain spans, tool executions, Traceloop workflow spans', async (t) => {
  t.equal(llmCallOf(llmSpan(attrs({ 'http.method': 'GET' }))), undefined);
  t.equal(llmCallOf(llmSpan(attrs({ 'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': 'get_weather' }))), undefined);
  t.equal(llmCallOf(llmSpan(attrs({ 'traceloop.span.kind': 'workflow', 'traceloop.entity.name': 'weather_bot' }))), undefined);
  // The provider on the resource alone does not make every span of the service an LLM call.
  t.equal(llmCallOf(llmSpan([]), { attributes: attrs({ 'gen_ai.provider.name': 'openai' }), droppedAttributesCount: 0 }), undefined);
});

t.test('summary durations', async (t) => {
  const base: LlmCall = { convention: 'gen_ai', durationMs: 1234.5, input: [], output: [] };
  t.equal(summarizeLlmCall(base), '1.23 s');
  t.equal(summarizeLlmCall({ ...base, durationMs: 4.56, ttftMs: 2000 }), '4.6 ms ttft 2 s');
  t.equal(summarizeLlmCall({ ...base, model: 'm', inputTokens: 5, durationMs: 0 }), 'm 5→? tok 0 ms');
});
