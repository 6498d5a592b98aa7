// LLM calls: one row per recognised call (both the gen_ai and the older OpenLLMetry conventions, src/llm/), with its
// prompt and completion readable below it on click.
import { api, el, fill, formatMillis, formatTime, notice, table } from './dom.js';

export function createLlmView(ctx) {
  const body = el('div', { id: 'llm-list' });
  const node = el('section', { id: 'view-llm' }, body);
  /** Calls whose messages are open, by trace and span id: kept open across live refreshes. */
  const open = new Set();

  async function refresh() {
    const { calls, totals } = await api('llm', { session: ctx.session });
    if (calls.length === 0) return fill(body, notice('No LLM calls yet (spans with gen_ai.* or llm.* attributes).'));
    const rows = [];
    // Newest first, as the traces list (ISO times compare as text).
    for (const call of [...calls].sort((a, b) => String(b.start).localeCompare(String(a.start)))) {
      const key = `${call.trace_id}/${call.span_id}`;
      const messages = el('tr', { class: 'messages', hidden: !open.has(key) }, el('td', { colspan: 11 }, conversation(call)));
      const toggle = () => {
        messages.hidden = !messages.hidden;
        if (messages.hidden) open.delete(key);
        else open.add(key);
      };
      rows.push(
        el(
          'tr',
          { class: 'clickable call', 'data-span-id': call.span_id, onclick: toggle },
          el('td', null, formatTime(call.start)),
          el('td', null, call.service ?? ''),
          el('td', null, call.name ?? ''),
          el('td', null, call.provider ?? ''),
          el('td', { class: 'model' }, call.model ?? call.requestModel ?? ''),
          el('td', { class: 'num tokens-in' }, call.inputTokens ?? ''),
          el('td', { class: 'num tokens-out' }, call.outputTokens ?? ''),
          el('td', { class: 'num tokens-total' }, call.totalTokens ?? ''),
          el('td', { class: 'num duration' }, formatMillis(call.durationMs)),
          el('td', { class: 'num ttft' }, formatMillis(call.ttftMs)),
          el('td', null, el('a', { href: `#/traces/${encodeURIComponent(call.trace_id)}`, onclick: (e) => e.stopPropagation() }, 'trace')),
        ),
        messages,
      );
    }
    const head = ['start', 'service', 'span', 'provider', 'model', 'tokens in', 'out', 'total', 'duration', 'TTFT', ''];
    const count = `${totals.calls} call${totals.calls === 1 ? '' : 's'}`;
    const tokens = `${totals.inputTokens} tokens in · ${totals.outputTokens} out · ${totals.totalTokens} total`;
    fill(body, el('p', { class: 'totals' }, `${count} · ${tokens} · click a row for its messages`), table(head, rows, 'grid llm'));
  }

  return { node, refresh };
}

function conversation(call) {
  const side = (title, messages) =>
    el(
      'div',
      { class: 'conversation' },
      el('h4', null, title),
      messages.length === 0 ? notice('none recorded') : messages.map(message),
    );
  return el('div', { class: 'columns' }, side('prompt', call.input ?? []), side('completion', call.output ?? []));
}

const message = (m) =>
  el('div', { class: `message role-${m.role}` }, el('div', { class: 'role' }, m.role), el('pre', { class: 'content' }, m.content), m.extra ? el('pre', { class: 'extra' }, m.extra) : null);
