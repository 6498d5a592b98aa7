// The gateway's local web UI: tabs over the fixture API, refreshed live from /api/events.
import { api, apiUrl, el, fill } from './dom.js';
import { createTracesView } from './traces.js';
import { createLlmView } from './llm.js';
import { createMetricsView } from './metrics.js';
import { createLogsView } from './logs.js';

/**
 * What every view gets: the session filter, a way to move to another view (e.g. a log's trace) and the page's
 * refresh (views call it when their filters change, so refreshes never overlap and errors show in one place).
 */
const ctx = {
  session: '',
  refresh: () => refresh(),
  /** `#/<view>/<arg>`: the address bar keeps the view, so reload and back work. */
  navigate: (view, arg) => {
    location.hash = arg ? `#/${view}/${encodeURIComponent(arg)}` : `#/${view}`;
  },
};

const views = {
  traces: { label: 'Traces', ...createTracesView(ctx) },
  llm: { label: 'LLM calls', ...createLlmView(ctx) },
  metrics: { label: 'Metrics', ...createMetricsView(ctx) },
  logs: { label: 'Logs', ...createLogsView(ctx) },
};

const main = document.getElementById('main');
const tabs = document.getElementById('tabs');
const sessionSelect = document.getElementById('session');
const liveState = document.getElementById('live');
const errorBar = document.getElementById('error');

function route() {
  const [, name, arg] = /^#\/([a-z]+)(?:\/(.*))?$/.exec(location.hash) ?? [];
  return { name: views[name] ? name : 'traces', arg: arg === undefined ? undefined : decodeURIComponent(arg) };
}

function showRoute() {
  const { name, arg } = route();
  for (const [key, view] of Object.entries(views)) {
    view.node.hidden = key !== name;
    view.tab.setAttribute('aria-selected', String(key === name));
  }
  views[name].open?.(arg);
  refresh();
}

// Refreshes are serialised: an event that arrives while one runs asks for one more run after it, not a parallel one.
let running = null;
let again = false;
async function refresh() {
  if (running) {
    again = true;
    return running;
  }
  running = (async () => {
    do {
      again = false;
      try {
        await Promise.all([views[route().name].refresh(), refreshSessions()]);
        showError(undefined);
      } catch (err) {
        showError(err);
      }
    } while (again);
  })();
  try {
    await running;
  } finally {
    running = null;
  }
}

/** The API's message (e.g. "needs a memory sink") above the views, or nothing. */
function showError(err) {
  fill(errorBar, err ? String(err.message ?? err) : '');
  errorBar.hidden = !err;
}

let sessionNames = '';
async function refreshSessions() {
  const { sessions } = await api('sessions');
  const names = sessions.map((s) => s.session).filter((s) => s !== '');
  if (ctx.session && !names.includes(ctx.session)) names.push(ctx.session);
  names.sort();
  // Rebuilt only when the list changed: rebuilding closes the drop-down under a person choosing from it.
  if (names.join('\n') === sessionNames) return;
  sessionNames = names.join('\n');
  fill(sessionSelect, el('option', { value: '' }, 'all sessions'), names.map((s) => el('option', { value: s }, s)));
  sessionSelect.value = ctx.session;
}

function connectEvents() {
  const events = new EventSource(apiUrl('events'));
  events.addEventListener('open', () => setLive(true));
  events.addEventListener('error', () => setLive(false));
  events.addEventListener('points', () => refresh());
  events.addEventListener('reset', () => refresh());
}

function setLive(on) {
  liveState.textContent = on ? 'live' : 'disconnected';
  liveState.className = on ? 'live on' : 'live off';
}

for (const [key, view] of Object.entries(views)) {
  view.tab = el('a', { href: `#/${key}`, role: 'tab', id: `tab-${key}` }, view.label);
  tabs.append(view.tab);
  main.append(view.node);
}
sessionSelect.addEventListener('change', () => {
  ctx.session = sessionSelect.value;
  refresh();
});
document.getElementById('reset').addEventListener('click', async () => {
  // Scoped to the chosen session, like the API's reset; the `reset` event then refreshes every open page.
  try {
    await api('reset', { session: ctx.session }, 'POST');
  } catch (err) {
    showError(err);
  }
  refresh();
});
window.addEventListener('hashchange', showRoute);
connectEvents();
showRoute();
