import { existsSync, readdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/**
 * The local web UI (issue 6): a static page under `/ui` that reads the fixture API (`/api/…`). No build step: the
 * files in ./static are served as they are.
 */

/** Where the page is served; its assets live under `<UI_PATH>/`. */
export const UI_PATH = '/ui';

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
};

/**
 * The page loads nothing but its own files and talks only to its own origin; with it, even a value that slipped into
 * markup could not run script (the page itself only ever writes data as text).
 */
const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'";

/**
 * Where the static folder may be: next to this module when run from src (tsx, tests); from dist, where tsc does not
 * copy non-TS files, the package's `src/ui/static` (so package.json's "files" must include it).
 */
export const STATIC_DIRS: readonly string[] = [new URL('./static/', import.meta.url), new URL('../../src/ui/static/', import.meta.url)].map((u) => fileURLToPath(u));

/**
 * Serves `/ui` (the page) and `/ui/<file>` (its assets) from the first of `dirs` that has the page; only the files
 * present at registration are served. Without the files the gateway still starts (the UI is an extra), and `/ui` says
 * what is missing.
 */
export function registerUiRoutes(app: FastifyInstance, dirs: readonly string[] = STATIC_DIRS): void {
  const dir = dirs.find((d) => existsSync(join(d, 'index.html')));
  if (dir === undefined) {
    const missing = `the web UI's files are missing (looked in ${dirs.join(' and ')})\n`;
    app.get(UI_PATH, async (_request, reply) => reply.code(500).type('text/plain; charset=utf-8').send(missing));
    return;
  }
  const serve = (file: string) => {
    const type = CONTENT_TYPES[extname(file)];
    // Read on each request: a developer editing the page sees the change on reload; the page is tiny and local.
    return async (_request: FastifyRequest, reply: FastifyReply) =>
      reply
        .header('content-type', type)
        .header('cache-control', 'no-cache')
        .header('x-content-type-options', 'nosniff')
        .header('content-security-policy', CSP)
        .send(await readFile(join(dir, file)));
  };
  app.get(UI_PATH, serve('index.html'));
  app.get(`${UI_PATH}/`, serve('index.html'));
  for (const file of readdirSync(dir)) {
    if (CONTENT_TYPES[extname(file)] !== undefined) app.get(`${UI_PATH}/${file}`, serve(file));
  }
}
