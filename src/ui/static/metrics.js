// Metrics: the otel_service series with their latest value; a histogram's buckets as a bar list.
import { api, debounced, el, fill, formatTime, notice } from './dom.js';

export function createMetricsView(ctx) {
  const filter = el('input', { type: 'search', placeholder: 'metric name', id: 'metric-name' });
  const body = el('div', { id: 'metric-list' });
  const node = el('section', { id: 'view-metrics' }, el('div', { class: 'filters' }, filter), body);
  filter.addEventListener('input', debounced(ctx.refresh));

  async function refresh() {
    const { series } = await api('metrics/series', { session: ctx.session, name: filter.value.trim() });
    if (series.length === 0) return fill(body, notice('No metrics yet. Send OTLP to /otel/v1/metrics.'));
    fill(body, series.map(seriesCard));
  }

  return { node, refresh };
}

function seriesCard(s) {
  return el(
    'div',
    { class: 'series', 'data-name': s.name },
    el(
      'div',
      { class: 'series-head' },
      el('span', { class: 'series-name' }, s.name),
      el('span', { class: 'badge type' }, s.type ?? ''),
      s.unit ? el('span', { class: 'muted' }, s.unit) : null,
      el('span', { class: 'series-latest' }, s.latest ? String(s.latest.value) : ''),
      el('span', { class: 'muted' }, s.latest ? `at ${formatTime(s.latest.time)} · ${s.points} point${s.points === 1 ? '' : 's'}` : ''),
    ),
    el('div', { class: 'chips' }, Object.entries(s.tags ?? {}).map(([k, v]) => el('span', { class: 'chip' }, `${k}=${v}`))),
    s.buckets?.length ? buckets(s.buckets) : null,
  );
}

/** One bar per bucket, scaled to the largest count. */
function buckets(list) {
  const max = Math.max(1, ...list.map((b) => Number(b.count)));
  return el(
    'div',
    { class: 'buckets' },
    list.map((b) =>
      el(
        'div',
        { class: 'bucket', 'data-le': b.le },
        el('span', { class: 'le' }, `≤ ${b.le}`),
        el('span', { class: 'bucket-track' }, el('span', { class: 'bucket-bar', style: { width: `${(Number(b.count) / max) * 100}%` } })),
        el('span', { class: 'num count' }, b.count),
      ),
    ),
  );
}
