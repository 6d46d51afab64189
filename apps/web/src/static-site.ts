import { readdirSync, readFileSync, statSync } from 'node:fs';
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { extname, join, relative, sep } from 'node:path';
import { httpErrorBody } from '@chat/contracts';

/** What the page is told at `/config.json`: where auth and the edges are, as a browser reaches them. */
export interface PageConfig {
  authUrl: string;
  edgeUrls: string[];
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.map': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
};

/** Vite names the files under assets/ by their content hash: a browser may keep them for good. */
const HASHED_ASSETS_CACHE = 'public, max-age=31536000, immutable';
/** index.html and config.json change with each build and deployment. */
const ALWAYS_REVALIDATE = 'no-cache';

interface StaticFile {
  body: Buffer;
  contentType: string;
  cacheControl: string;
}

/**
 * The built page (Vite's `dist/public`), read once at start: the set of paths served is exactly
 * the files that exist, so no request path ever reaches the file system.
 */
export function loadSite(publicDir: string): Map<string, StaticFile> {
  if (!statSync(join(publicDir, 'index.html'), { throwIfNoEntry: false })?.isFile()) {
    throw new Error(`the page is not built (${join(publicDir, 'index.html')} is missing): run npm run build`);
  }
  const files = new Map<string, StaticFile>();
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        walk(path);
        continue;
      }
      const urlPath = `/${relative(publicDir, path).split(sep).join('/')}`;
      files.set(urlPath, {
        body: readFileSync(path),
        contentType: CONTENT_TYPES[extname(entry.name)] ?? 'application/octet-stream',
        cacheControl: urlPath.startsWith('/assets/') ? HASHED_ASSETS_CACHE : ALWAYS_REVALIDATE,
      });
    }
  };
  walk(publicDir);
  return files;
}

/**
 * The page may run scripts and styles of its own origin only, and talk to auth and the edges
 * only: an injected script could neither load more code nor send what it reads elsewhere.
 */
export function contentSecurityPolicy(page: PageConfig): string {
  const apis = [page.authUrl, ...page.edgeUrls].map((url) => new URL(url).origin);
  return [
    "default-src 'self'",
    `connect-src 'self' ${[...new Set(apis)].join(' ')}`,
    "img-src 'self' data:",
    "object-src 'none'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
    "form-action 'none'",
  ].join('; ');
}

/**
 * GET/HEAD of the built files, `/` as index.html, `/config.json` from the environment, and
 * `/healthz`. Anything else is 404 (405 for other methods), with the API's error body.
 */
export function siteHandler(options: {
  files: Map<string, StaticFile>;
  page: PageConfig;
  /** Called with each answer's status (metrics). */
  answered?: (status: number) => void;
}): RequestListener {
  const security = {
    'Content-Security-Policy': contentSecurityPolicy(options.page),
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    'Cross-Origin-Opener-Policy': 'same-origin',
  };
  const config = jsonFile(options.page);
  const health = jsonFile({ status: 'ok' });
  const notFound = jsonFile(httpErrorBody('not_found', 'no such file'));
  const notAllowed = jsonFile(httpErrorBody('bad_request', 'only GET and HEAD'));
  return (req: IncomingMessage, res: ServerResponse) => {
    const send = (status: number, file: StaticFile, extra: Record<string, string> = {}) => {
      res.writeHead(status, {
        ...security,
        'Content-Type': file.contentType,
        'Content-Length': String(file.body.length),
        'Cache-Control': file.cacheControl,
        ...extra,
      });
      res.end(req.method === 'HEAD' ? undefined : file.body);
      options.answered?.(status);
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      send(405, notAllowed, { Allow: 'GET, HEAD' });
      return;
    }
    const path = new URL(req.url ?? '/', 'http://page').pathname;
    if (path === '/config.json') send(200, config);
    else if (path === '/healthz' || path === '/readyz') send(200, health);
    else {
      const file = options.files.get(path === '/' ? '/index.html' : path);
      send(file ? 200 : 404, file ?? notFound);
    }
  };
}

function jsonFile(value: unknown): StaticFile {
  return {
    body: Buffer.from(`${JSON.stringify(value)}\n`),
    contentType: CONTENT_TYPES['.json'] ?? '',
    cacheControl: 'no-store',
  };
}
