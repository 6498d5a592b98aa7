// Small helpers shared by the views. Data only ever reaches the page as text (textContent), never as markup.

/**
 * Creates an element. `props`: `class`, `title`, `href`, `data-*`, `on<event>` handlers; children are nodes or text
 * (null/undefined/false are skipped).
 */
export function el(tag, props, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
    else if (key === 'style') Object.assign(node.style, value);
    else node.setAttribute(key, String(value));
  }
  append(node, children);
  return node;
}

function append(node, children) {
  for (const child of children) {
    if (child === undefined || child === null || child === false) continue;
    if (Array.isArray(child)) append(node, child);
    else node.append(child instanceof Node ? child : String(child));
  }
}

/** Replaces an element's content. */
export function fill(node, ...children) {
  node.replaceChildren();
  append(node, children);
  return node;
}

/**
 * With `[gateway] auth_token` set the API wants the token; the page, opened as `/ui?token=…`, passes it on as the
 * `token` query parameter (EventSource cannot send an Authorization header).
 */
const TOKEN = new URLSearchParams(location.search).get('token') ?? '';

/** An API URL with its query; empty values are left out (an empty `session` would mean "points without one"). */
export function apiUrl(path, params = {}) {
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries({ ...params, token: TOKEN })) if (value !== undefined && value !== '') query.set(key, value);
  const qs = query.toString();
  return `/api/${path}${qs ? `?${qs}` : ''}`;
}

/** GET or POST JSON from the fixture API; rejects with the API's `error` text on a non-2xx answer. */
export async function api(path, params = {}, method = 'GET') {
  const res = await fetch(apiUrl(path, params), { method, headers: { accept: 'application/json' } });
  const body = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(body.error ?? `${method} /api/${path}: HTTP ${res.status}`);
  return body;
}

/** A duration in µs for a person: `850 µs`, `12.3 ms`, `1.25 s`. */
export function formatMicros(us) {
  if (us === undefined || us === null || us === '') return '';
  const n = Number(us);
  if (Math.abs(n) < 1000) return `${n} µs`;
  if (Math.abs(n) < 1e6) return `${trim(n / 1000)} ms`;
  return `${trim(n / 1e6)} s`;
}

/** Milliseconds (LLM durations, time to first token) in the same style. */
export const formatMillis = (ms) => (ms === undefined || ms === null ? '' : formatMicros(Math.round(Number(ms) * 1000)));

/** Three significant digits at most, no trailing zeros. */
const trim = (x) => String(Number(x.toPrecision(3)));

/** An ISO time or ns-since-epoch string as local `HH:MM:SS.mmm`. */
export function formatTime(value) {
  if (value === undefined || value === null) return '';
  const date = /^\d+$/.test(String(value)) ? new Date(Number(BigInt(value) / 1000000n)) : new Date(value);
  if (Number.isNaN(date.getTime())) return String(value);
  const pad = (n, w = 2) => String(n).padStart(w, '0');
  return `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}.${pad(date.getMilliseconds(), 3)}`;
}

/** A coloured label, e.g. a status or an attribute's fate; the classes are `badge <kind> <kind>-<value>`. */
export const badge = (kind, value) => el('span', { class: `badge ${kind} ${kind}-${String(value).replace(/[^a-z0-9_-]/gi, '_')}` }, value);

/** A table with a header row; `rows` are arrays of cells (nodes or text) or ready `<tr>` elements. */
export function table(headers, rows, className) {
  return el(
    'table',
    { class: className },
    el('thead', null, el('tr', null, headers.map((h) => el('th', null, h)))),
    el('tbody', null, rows.map((r) => (r instanceof Node ? r : el('tr', null, r.map((c) => el('td', null, c)))))),
  );
}

/** `fn` once typing pauses for `ms` (filters refresh as a person types, not on every key). */
export function debounced(fn, ms = 200) {
  let timer;
  return () => {
    clearTimeout(timer);
    timer = setTimeout(fn, ms);
  };
}

/** A message in place of a view's content (loading, empty, error). */
export const notice = (text, kind = 'empty') => el('p', { class: `notice ${kind}` }, text);
