// Logs: newest first, coloured by status, linked to their trace when the record carried ids.
import { api, badge, debounced, el, fill, formatTime, notice, table } from './dom.js';

const STATUSES = ['', 'trace', 'debug', 'info', 'warn', 'error', 'fatal', 'unknown'];

export function createLogsView(ctx) {
  const status = el('select', { id: 'log-status' }, STATUSES.map((s) => el('option', { value: s }, s || 'any status')));
  const service = el('input', { type: 'search', placeholder: 'service', id: 'log-service' });
  const body = el('div', { id: 'log-list' });
  const node = el('section', { id: 'view-logs' }, el('div', { class: 'filters' }, service, status), body);
  service.addEventListener('input', debounced(ctx.refresh));
  status.addEventListener('change', ctx.refresh);

  async function refresh() {
    const { logs } = await api('logs', { session: ctx.session, status: status.value, service: service.value.trim(), limit: 500 });
    if (logs.length === 0) return fill(body, notice('No logs yet. Send OTLP to /otel/v1/logs.'));
    // Newest first whatever order the API keeps (ids grow with arrival).
    const rows = [...logs].sort((a, b) => b.id - a.id).map((log) =>
      el(
        'tr',
        { class: `log status-row-${log.status}`, 'data-id': log.id },
        el('td', null, formatTime(log.time)),
        el('td', null, badge('status', log.status ?? '')),
        el('td', null, log.service ?? ''),
        el('td', { class: 'message' }, el('pre', null, log.message ?? '')),
        el('td', null, hasId(log.trace_id) ? el('a', { class: 'trace-link', href: `#/traces/${encodeURIComponent(log.trace_id)}` }, 'trace') : ''),
      ),
    );
    fill(body, table(['time', 'status', 'service', 'message', ''], rows, 'grid logs'));
  }

  return { node, refresh };
}

/** DataKit writes "0" for an absent id (datakit reference §5.3). */
const hasId = (id) => typeof id === 'string' && id !== '' && id !== '0';
