/**
 * GET /docs: a readable reference of the API, Swagger UI rendering /openapi.json. Everything is
 * served from this backend (swagger-ui-dist's files from node_modules, our own page and start
 * script), so it works offline and under a strict Content-Security-Policy: no CDN, no inline
 * script, no calls elsewhere (Swagger UI's online validator badge is switched off).
 */
import fs from "node:fs";
import path from "node:path";
import Router from "@koa/router";
import type { Context } from "koa";

export const DOCS_PATH = "/docs";
const ASSETS = `${DOCS_PATH}/assets`;

/** The only files of the package we serve, with their types. */
const FILES: Record<string, string> = {
  "swagger-ui.css": "text/css; charset=utf-8",
  "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
  "favicon-32x32.png": "image/png",
};

/**
 * Everything from this origin only; the one allowance is data: images (Swagger UI's CSS draws its
 * icons with them). The browser test in backend/test/admin/docs.test.ts fails on any violation.
 */
export const DOCS_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");

const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Minipay API reference</title>
<link rel="icon" type="image/png" href="${ASSETS}/favicon-32x32.png">
<link rel="stylesheet" href="${ASSETS}/swagger-ui.css">
</head>
<body>
<noscript>This page needs JavaScript. The API description itself is at <a href="/openapi.json">/openapi.json</a>.</noscript>
<div id="swagger-ui"></div>
<script src="${ASSETS}/swagger-ui-bundle.js"></script>
<script src="${DOCS_PATH}/start.js"></script>
</body>
</html>
`;

const START = `window.ui = SwaggerUIBundle({
  url: "/openapi.json",
  dom_id: "#swagger-ui",
  deepLinking: true,
  validatorUrl: null,
});
`;

function secure(ctx: Context): void {
  ctx.set("Content-Security-Policy", DOCS_CSP);
  ctx.set("Referrer-Policy", "no-referrer");
  ctx.set("X-Frame-Options", "DENY");
}

export function docsRouter(): Router {
  const dir = path.dirname(require.resolve("swagger-ui-dist/package.json"));
  const r = new Router();
  r.get(DOCS_PATH, (ctx) => {
    secure(ctx);
    ctx.set("Cache-Control", "no-cache");
    ctx.type = "text/html; charset=utf-8";
    ctx.body = PAGE;
  });
  r.get(`${DOCS_PATH}/start.js`, (ctx) => {
    secure(ctx);
    ctx.set("Cache-Control", "no-cache");
    ctx.type = FILES["swagger-ui-bundle.js"]!;
    ctx.body = START;
  });
  r.get(`${ASSETS}/:file`, (ctx, next) => {
    const type = FILES[ctx.params.file!];
    if (!type) return next(); // anything else of the package (or of the disk) stays unserved
    secure(ctx);
    ctx.set("Cache-Control", "public, max-age=3600");
    ctx.type = type;
    ctx.body = fs.createReadStream(path.join(dir, ctx.params.file!));
  });
  return r;
}
