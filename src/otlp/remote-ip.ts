import type { IncomingMessage } from 'node:http';
import { headersDistinctOf, type DistinctHeaders } from './media-type.js';

/**
 * `remote_ip` exactly as DataKit computes it (datakit §3.7, Q43): the forwarded headers are trusted from anyone and
 * only `host:port` pieces count.
 */

export type SplitHostPortResult = { readonly host: string; readonly port: string } | { readonly error: string };

/**
 * Go's `net.SplitHostPort`, byte for byte: the port starts after the last colon; a bracketed host must be
 * `[host]:port`; an unbracketed host may not contain a colon. Neither host nor port is validated, so `" 1.2.3.4:80"`
 * gives the host `" 1.2.3.4"` and `"1.2.3.4:"` an empty port.
 */
export function splitHostPort(hostport: string): SplitHostPortResult {
  const lastColon = hostport.lastIndexOf(':');
  if (lastColon < 0) return { error: 'missing port in address' };
  let host: string;
  let noOpenBracketFrom = 0;
  let noCloseBracketFrom = 0;
  if (hostport[0] === '[') {
    const end = hostport.indexOf(']');
    if (end < 0) return { error: "missing ']' in address" };
    if (end + 1 === hostport.length) return { error: 'missing port in address' };
    if (end + 1 !== lastColon) {
      // Either ']' is not followed by a colon, or by one that is not the last.
      return { error: hostport[end + 1] === ':' ? 'too many colons in address' : 'missing port in address' };
    }
    host = hostport.slice(1, end);
    noOpenBracketFrom = 1;
    noCloseBracketFrom = end + 1;
  } else {
    host = hostport.slice(0, lastColon);
    if (host.includes(':')) return { error: 'too many colons in address' };
  }
  if (hostport.indexOf('[', noOpenBracketFrom) >= 0) return { error: "unexpected '[' in address" };
  if (hostport.indexOf(']', noCloseBracketFrom) >= 0) return { error: "unexpected ']' in address" };
  return { host, port: hostport.slice(lastColon + 1) };
}

/** In DataKit's order; Go's `Header.Get` reads only the first line of each. */
const FORWARDED_HEADERS = ['x-forwarded-for', 'x-real-ip', 'proxy-client-ip'] as const;

/**
 * The first comma-separated piece (not trimmed) of the forwarded headers that splits as `host:port` with a non-empty
 * host gives the host; bare addresses are skipped. Otherwise the socket peer's address.
 */
export function remoteIp(headers: DistinctHeaders, peerAddress: string | undefined): string {
  for (const name of FORWARDED_HEADERS) {
    const first = headers[name]?.[0];
    if (first === undefined) continue;
    for (const piece of first.split(',')) {
      const split = splitHostPort(piece);
      if ('host' in split && split.host !== '') return split.host;
    }
  }
  return peerHost(peerAddress);
}

const NO_HEADERS: DistinctHeaders = {};

/** `remoteIp` for a Node request; `headersDistinct` (an allocation) is built only when a forwarded header is there. */
export function remoteIpOf(req: IncomingMessage): string {
  const h = req.headers;
  const forwarded = h['x-forwarded-for'] !== undefined || h['x-real-ip'] !== undefined || h['proxy-client-ip'] !== undefined;
  return remoteIp(forwarded ? headersDistinctOf(req) : NO_HEADERS, req.socket.remoteAddress);
}

const IPV4_MAPPED = /^::ffff:(\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3})$/i;

/** Node reports IPv4 peers on a dual-stack socket as `::ffff:a.b.c.d`; Go reports `a.b.c.d` (datakit §3.7 step 2). */
export function peerHost(address: string | undefined): string {
  if (address === undefined) return '';
  const mapped = IPV4_MAPPED.exec(address);
  return mapped ? mapped[1] : address;
}
