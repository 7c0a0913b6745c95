/** Serves the built H5 shop at /app/ (one origin with the API, so no CORS). */
import fs from "node:fs";
import path from "node:path";
import type { Middleware } from "koa";

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json",
  ".png": "image/png",
  ".jpg": "image/jpeg",
  ".svg": "image/svg+xml",
  ".ico": "image/x-icon",
  ".woff": "font/woff",
  ".woff2": "font/woff2",
  ".ttf": "font/ttf",
};

export function serveH5(prefix: string, dir: string): Middleware {
  const root = path.resolve(dir);
  return async (ctx, next) => {
    if (ctx.method !== "GET" && ctx.method !== "HEAD") return next();
    if (ctx.path === prefix.replace(/\/$/, "")) return ctx.redirect(prefix);
    if (!ctx.path.startsWith(prefix)) return next();
    let rel: string;
    try {
      rel = decodeURIComponent(ctx.path.slice(prefix.length)) || "index.html";
    } catch {
      return next();
    }
    const file = path.resolve(root, rel);
    if (!file.startsWith(root + path.sep)) return next(); // no ../ escapes
    const target = fs.existsSync(file) && fs.statSync(file).isFile() ? file : path.join(root, "index.html");
    if (!fs.existsSync(target)) return next();
    ctx.type = TYPES[path.extname(target)] ?? "application/octet-stream";
    ctx.set("Cache-Control", target.endsWith("index.html") ? "no-cache" : "public, max-age=3600");
    ctx.body = fs.createReadStream(target);
  };
}
