/**
 * v2 notify bodies (XML) read with koa-xml-body, configured against its traps (README
 * "Dependency notes"):
 * - `encoding: "utf8"` always: without it the middleware copies the first request's charset into
 *   its shared options, and every later body is decoded with it (一 becomes mojibake, signs fail).
 * - a byte limit (413 BODY_TOO_LARGE, as for every other body) and the same xml2js options as the
 *   v2 codec, which still checks the result (flat values, no prototype keys).
 * - a DOCTYPE or ENTITY declaration is refused while the bytes stream in, before xml2js sees them:
 *   WeChat never sends one, and no parser setting has to be trusted to make it harmless.
 * - the text is kept (ctx.state.rawBody, as utf-8 bytes) for the codec and the log.
 * Bodies that are not XML by Content-Type are read raw as before and parsed by the codec.
 */
import type { IncomingMessage } from "node:http";
import { Transform, type TransformCallback } from "node:stream";
import type { Context, Middleware } from "koa";
import koaXmlBody from "koa-xml-body";
import { AppError } from "../../domain/errors";
import { rawBody } from "./body";

/** WeChat never sends a DTD (docs/wechatpay-spec.md): refused, whatever a parser would make of it. */
const DECLARATION = /<!DOCTYPE|<!ENTITY/i;

/** Flat string values, as the v2 codec expects them (it checks the result again). */
const XML_OPTIONS = { explicitArray: false, explicitRoot: false, trim: true };

/** What the route hands the codec: parsed fields, or why the body was refused. */
export interface XmlRead {
  parsed?: unknown;
  refused?: string;
}

class DeclarationRefused extends Error {
  readonly refusedDeclaration = true;
  constructor() {
    super("DOCTYPE/ENTITY not allowed");
  }
}

/** Passes the bytes through, failing the stream at the first `<!DOCTYPE` or `<!ENTITY`. */
class DeclarationGuard extends Transform {
  private tail = "";
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    // latin1 maps each byte to one char, so a marker split across chunks is still found.
    const text = this.tail + chunk.toString("latin1");
    if (DECLARATION.test(text)) return cb(new DeclarationRefused());
    this.tail = text.slice(-16);
    cb(null, chunk);
  }
}

function guarded(req: IncomingMessage): IncomingMessage {
  const guard = new DeclarationGuard();
  // koa-xml-body reads the expected length from the stream it is given.
  Object.assign(guard, { headers: req.headers });
  req.pipe(guard);
  req.once("close", () => {
    if (!req.complete) guard.destroy(new Error("request aborted"));
  });
  guard.once("error", () => req.unpipe(guard));
  return guard as unknown as IncomingMessage;
}

export function xmlBody(limit: number): Middleware {
  const parse = koaXmlBody({
    key: "xmlBody",
    encoding: "utf8",
    limit,
    xmlOptions: XML_OPTIONS,
    onerror: (err, ctx) => {
      ctx.state.xmlError = err;
    },
  });
  const raw = rawBody(limit);
  return async (ctx: Context, next) => {
    if (!ctx.is("text/xml", "xml") || !/^(POST|PUT|PATCH)$/i.test(ctx.method)) return raw(ctx, next);
    const original = ctx.req;
    ctx.req = guarded(original);
    try {
      await parse(ctx, async () => {});
    } finally {
      ctx.req = original;
    }
    const err: unknown = ctx.state.xmlError;
    const read: XmlRead = {};
    if (err) {
      const e = err as { type?: string; status?: number; body?: unknown };
      if (e.type === "entity.too.large" || e.status === 413) throw new AppError("BODY_TOO_LARGE");
      if (err instanceof DeclarationRefused) read.refused = err.message;
      else if (typeof e.body === "string") read.refused = "malformed";
      else throw new AppError("VALIDATION_FAILED", "could not read the request body");
      ctx.state.rawBody = Buffer.from(typeof e.body === "string" ? e.body : "", "utf8");
    } else {
      read.parsed = (ctx.request as unknown as { xmlBody: unknown }).xmlBody;
      ctx.state.rawBody = Buffer.from((ctx.request as unknown as { rawBody: string }).rawBody, "utf8");
    }
    ctx.state.xml = read;
    return next();
  };
}
