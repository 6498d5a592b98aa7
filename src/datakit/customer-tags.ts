import { compileRe2, CUSTOMER_TAG_REGEX_PREFIX as REGEX_PREFIX } from '../config/regex.js';
import type { OtelInputConfig } from '../config/types.js';
import type { CustomerTagsMatcher } from './context.js';
import { dotsToUnderscores } from './format.js';

/**
 * DataKit 1.84's built-in attribute key map (datakit reference §4.3, all 44 entries). Always active for spans.
 * Two outputs keep a dot (`messaging_message.id`, `messaging_destination.name`); the Tracing checker turns it into `_` (Q30).
 */
export const BUILTIN_KEY_MAP: ReadonlyMap<string, string> = new Map([
  ['db.system', 'db_system'],
  ['db.operation', 'db_operation'],
  ['db.name', 'db_name'],
  ['db.statement', 'db_statement'],
  ['server.address', 'server_address'],
  ['net.host.name', 'net_host_name'],
  ['server.port', 'server_port'],
  ['net.host.port', 'net_host_port'],
  ['network.peer.address', 'network_peer_address'],
  ['network.peer.port', 'network_peer_port'],
  ['network.transport', 'network_transport'],
  ['http.request.method', 'http_method'],
  ['http.method', 'http_method'],
  ['error.type', 'error_type'],
  ['http.response.status_code', 'http_status_code'],
  ['http.status_code', 'http_status_code'],
  ['http.route', 'http_route'],
  ['http.target', 'http_target'],
  ['http.scheme', 'http_scheme'],
  ['http.url', 'http_url'],
  ['url.full', 'url_full'],
  ['url.scheme', 'url_scheme'],
  ['url.path', 'url_path'],
  ['url.query', 'url_query'],
  ['client.address', 'client_address'],
  ['client.port', 'client_port'],
  ['messaging.system', 'messaging_system'],
  ['messaging.operation', 'messaging_operation'],
  ['messaging.message.id', 'messaging_message.id'],
  ['messaging.destination.name', 'messaging_destination.name'],
  ['rpc.service', 'rpc_service'],
  ['rpc.system', 'rpc_system'],
  ['exception', 'exception'],
  ['exception.type', 'exception_type'],
  ['exception.message', 'exception_message'],
  ['exception.stacktrace', 'exception_stacktrace'],
  ['container.name', 'container_name'],
  ['process.pid', 'process_pid'],
  ['project', 'project'],
  ['version', 'version'],
  ['env', 'env'],
  ['host', 'host'],
  ['pod_name', 'pod_name'],
  ['pod_namespace', 'pod_namespace'],
]);

/** Keys repeat across spans and requests; resolving each distinct key once keeps regexes off the hot path. */
const CACHE_LIMIT = 10_000;

/**
 * Compiles one input's `customer_tags` / `customer_tags_all` into a resolver (datakit reference §4.2–4.5):
 * exact map (built-in + plain entries, which override built-ins, Q29 kept per instance) → `customer_tags_all` →
 * `reg:` patterns in order (unanchored, Q28) → not selected.
 */
export function compileCustomerTags(input: Pick<OtelInputConfig, 'customerTags' | 'customerTagsAll'>): CustomerTagsMatcher {
  const exact = new Map(BUILTIN_KEY_MAP);
  const patterns: RegExp[] = [];
  for (const entry of input.customerTags) {
    if (entry.startsWith(REGEX_PREFIX)) patterns.push(compileRe2(entry.slice(REGEX_PREFIX.length)));
    else exact.set(entry, dotsToUnderscores(entry));
  }
  const all = input.customerTagsAll;
  const cache = new Map<string, string | null>();

  const resolveUncached = (key: string): string | null => {
    const mapped = exact.get(key);
    if (mapped !== undefined) return mapped;
    if (all) return dotsToUnderscores(key);
    for (const re of patterns) if (re.test(key)) return dotsToUnderscores(key);
    return null;
  };

  return {
    resolve(key: string): string | undefined {
      let out = cache.get(key);
      if (out === undefined) {
        out = resolveUncached(key);
        if (cache.size >= CACHE_LIMIT) cache.clear();
        cache.set(key, out);
      }
      return out ?? undefined;
    },
  };
}
