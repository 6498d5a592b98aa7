// Traces: a live list (newest first) and one trace as a waterfall; a span's detail sets its OTLP attributes next to
// the DataKit point built from it, attribute by attribute (what happened to each, and under which key).
import { api, badge, debounced, el, fill, formatMicros, formatTime, notice, table } from './dom.js';

export function createTracesView(ctx) {
  const filters = {
    service: el('input', { type: 'search', placeholder: 'service', id: 'trace-service' }),
    status: el('select', { id: 'trace-status' }, ['', 'ok', 'error', 'info'].map((s) => el('option', { value: s }, s || 'any status'))),
    name: el('input', { type: 'search', placeholder: 'root span name', id: 'trace-name' }),
  };
  const filterBar = el('div', { class: 'filters' }, Object.values(filters));
  const list = el('div', { id: 'trace-list' });
  // The trace page: back link and title, the waterfall (redrawn on each refresh) and the selected span's detail (kept
  // in place while it reloads, so a live update does not make it flicker).
  const title = el('h2', null);
  const chart = el('div', { id: 'waterfall' });
  const detail = el('div', { id: 'span-detail' });
  const trace = el('div', { id: 'trace', hidden: true }, el('a', { href: '#/traces', class: 'back' }, '← all traces'), title, chart, detail);
  const node = el('section', { id: 'view-traces' }, filterBar, list, trace);

  let traceId;
  /** The selected span: its span_id survives live refreshes of the waterfall. */
  let selected;
  const onFilter = debounced(ctx.refresh);
  filters.service.addEventListener('input', onFilter);
  filters.name.addEventListener('input', onFilter);
  filters.status.addEventListener('change', ctx.refresh);

  function open(arg) {
    if (arg !== traceId) selected = undefined;
    traceId = arg;
    filterBar.hidden = list.hidden = traceId !== undefined;
    trace.hidden = traceId === undefined;
    if (traceId !== undefined) {
      fill(title);
      fill(chart, notice('loading…'));
      fill(detail);
    }
  }

  async function refresh() {
    return traceId === undefined ? refreshList() : refreshTrace(traceId);
  }

  async function refreshList() {
    const { traces } = await api('traces', {
      session: ctx.session,
      service: filters.service.value.trim(),
      status: filters.status.value,
      name: filters.name.value.trim(),
      limit: 200,
    });
    if (traces.length === 0) return fill(list, notice('No traces yet. Send OTLP to /otel/v1/traces.'));
    const rows = traces.map((t) =>
      el(
        'tr',
        { class: 'clickable', 'data-trace-id': t.trace_id, onclick: () => ctx.navigate('traces', t.trace_id) },
        el('td', null, formatTime(t.start)),
        el('td', null, t.root?.service ?? ''),
        el('td', { class: 'name' }, t.root?.resource ?? t.root?.name ?? ''),
        el('td', { class: 'num' }, formatMicros(t.duration_us)),
        el('td', { class: 'num' }, t.spans),
        el('td', { class: 'num' }, t.errors ? el('span', { class: 'badge status-error' }, `${t.errors} error${t.errors > 1 ? 's' : ''}`) : ''),
        el('td', { class: 'num' }, t.llm_calls || ''),
        el('td', null, (t.services ?? []).join(', ')),
        el('td', null, t.session ?? ''),
      ),
    );
    fill(list, table(['start', 'service', 'root span', 'duration', 'spans', 'errors', 'LLM calls', 'services', 'session'], rows, 'grid'));
  }

  async function refreshTrace(id) {
    let answer;
    try {
      answer = await api(`traces/${encodeURIComponent(id)}`, { session: ctx.session });
    } catch (err) {
      fill(detail);
      return fill(chart, notice(err.message, 'error'));
    }
    if (id !== traceId) return;
    fill(title, 'Trace ', el('code', null, id));
    const rows = flatten(answer.spans);
    fill(chart, waterfall(rows, (span) => select(span).catch((err) => fill(detail, notice(err.message, 'error')))));
    const again = rows.find((r) => r.span.fields.span_id === selected);
    if (again) await select(again.span);
    else fill(detail);
  }

  async function select(span) {
    selected = span.fields.span_id;
    for (const row of chart.querySelectorAll('.wf-row')) row.classList.toggle('selected', row.dataset.spanId === selected);
    // The tree's points come without origin and account (they are large); this span's point with both.
    const query = { category: 'tracing', trace_id: span.fields.trace_id, 'field.span_id': selected, session: ctx.session, account: 1, origin: 1 };
    const { points } = await api('points', query);
    const full = points.find((p) => p.id === span.id) ?? span;
    if (selected === span.fields.span_id) fill(detail, spanDetail(full));
  }

  return { node, open, refresh };
}

/** The span tree as rows in display order (depth first), each with its depth. */
function flatten(roots) {
  const rows = [];
  const walk = (span, depth) => {
    rows.push({ span, depth });
    for (const child of span.children ?? []) walk(child, depth + 1);
  };
  for (const root of roots) walk(root, 0);
  return rows;
}

/** Bars scaled to the trace: from its first span's start to its last span's end. */
function waterfall(rows, onSelect) {
  if (rows.length === 0) return notice('This trace has no spans (any more).');
  const startOf = (s) => Number(s.fields.start);
  const t0 = Math.min(...rows.map((r) => startOf(r.span)));
  const t1 = Math.max(...rows.map((r) => startOf(r.span) + Math.max(0, Number(r.span.fields.duration))));
  const total = Math.max(1, t1 - t0);
  const scale = el('span', { class: 'wf-scale' }, el('span', null, '0'), el('span', null, formatMicros(total)));
  const axis = el('div', { class: 'wf-row wf-axis' }, el('span', null, 'span'), el('span', { class: 'num' }, 'duration'), scale);
  return el(
    'div',
    { class: 'waterfall' },
    axis,
    rows.map(({ span, depth }) => {
      const { fields, tags } = span;
      const left = ((startOf(span) - t0) / total) * 100;
      const width = Math.max(0.3, (Math.max(0, Number(fields.duration)) / total) * 100);
      return el(
        'div',
        { class: `wf-row clickable status-row-${tags.status}`, 'data-span-id': fields.span_id, onclick: () => onSelect(span) },
        el(
          'span',
          { class: 'wf-name', style: { paddingLeft: `${depth * 14}px` } },
          el('span', { class: 'span-name' }, fields.resource),
          el('span', { class: 'span-service' }, tags.service ?? ''),
          span.llm ? el('span', { class: 'llm-tag' }, span.llm.model ?? 'LLM') : null,
        ),
        el('span', { class: 'num span-duration' }, formatMicros(fields.duration)),
        el('span', { class: 'wf-track' }, el('span', { class: `wf-bar${span.llm ? ' llm' : ''}`, style: { left: `${left}%`, width: `${width}%` } })),
      );
    }),
  );
}

function spanDetail(point) {
  const { tags, fields } = point;
  return el(
    'div',
    { class: 'detail' },
    el(
      'h3',
      null,
      fields.resource,
      ' ',
      badge('status', tags.status ?? ''),
      el('span', { class: 'muted' }, ` ${tags.service ?? ''} · ${formatMicros(fields.duration)} · span ${fields.span_id}`),
    ),
    el(
      'div',
      { class: 'columns' },
      el('div', null, el('h4', null, 'OTLP attributes → DataKit'), accountTable(point)),
      el('div', null, el('h4', null, 'DataKit point'), pointTables(point)),
    ),
  );
}

/** One row per OTLP attribute: where it was, its value, and its fate in the point (issue 5's attribute account). */
function accountTable(point) {
  if (point.account) {
    const rows = point.account.map((a) =>
      el(
        'tr',
        { class: `fate-row-${a.fate}`, 'data-key': a.key, 'data-where': a.where },
        el('td', null, el('div', { class: 'key' }, a.key), el('div', { class: 'muted where' }, a.where)),
        el('td', { class: 'value' }, el('div', { class: 'clip' }, a.value)),
        el('td', null, badge('fate', a.fate), a.to ? el('span', { class: 'key to' }, a.to) : null, el('div', { class: 'muted why' }, a.why)),
      ),
    );
    return table(['attribute', 'value', 'in the DataKit point'], rows, 'grid account');
  }
  // Without the account (an API that does not give it) the attributes alone, from the OTLP origin.
  const attrs = point.origin?.span?.attributes ?? [];
  if (attrs.length === 0) return notice('No attribute account for this point.');
  return table(['attribute', 'value'], attrs.map((a) => [a.key, JSON.stringify(a.value)]), 'grid account');
}

function pointTables(point) {
  const text = (v) => (typeof v === 'string' ? v : JSON.stringify(v));
  const kv = (obj, kind) =>
    Object.entries(obj ?? {}).map(([k, v]) =>
      el('tr', { 'data-key': k }, el('td', { class: 'muted' }, kind), el('td', { class: 'key' }, k), el('td', { class: 'value' }, el('div', { class: 'clip' }, text(v)))),
    );
  const origin = point.origin && JSON.stringify(point.origin, null, 2);
  return [
    el('p', null, 'measurement ', el('code', null, point.measurement)),
    table(['', 'key', 'value'], [...kv(point.tags, 'tag'), ...kv(point.fields, 'field')], 'grid point'),
    point.line ? el('details', null, el('summary', null, 'line protocol'), el('pre', null, point.line)) : null,
    origin ? el('details', null, el('summary', null, 'OTLP span (JSON)'), el('pre', null, origin)) : null,
  ];
}
