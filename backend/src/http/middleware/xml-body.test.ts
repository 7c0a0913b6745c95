import http from "node:http";
import type { AddressInfo } from "node:net";
import Koa from "koa";
import koaXmlBody from "koa-xml-body";
import { createLogger } from "../../logger";
import { errorHandler } from "./errors";
import { xmlBody } from "./xml-body";

/** A server that answers with what the middleware made of the body. */
function serve(mw: Koa.Middleware): Promise<{ url: URL; close: () => Promise<void> }> {
  const app = new Koa();
  app.silent = true;
  app.use(errorHandler(createLogger({ level: "silent" })));
  app.use(mw);
  app.use((ctx) => {
    ctx.body = {
      xml: ctx.state.xml ?? null,
      raw: ctx.state.rawBody ? (ctx.state.rawBody as Buffer).toString("utf8") : null,
      plain: (ctx.request as unknown as { body?: unknown }).body ?? null,
    };
  });
  const server = http.createServer(app.callback());
  return new Promise((resolve) =>
    server.listen(0, "127.0.0.1", () =>
      resolve({
        url: new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`),
        close: () => new Promise((r) => server.close(() => r())),
      }),
    ),
  );
}

/** POST the body in the given pieces, so a marker can be split across chunks. */
function post(url: URL, type: string, pieces: (string | Buffer)[]): Promise<{ status: number; body: any }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: "POST", headers: { "content-type": type } }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () =>
        resolve({ status: res.statusCode!, body: JSON.parse(Buffer.concat(chunks).toString("utf8")) }),
      );
    });
    req.on("error", reject);
    const write = (i: number) => {
      if (i === pieces.length) return req.end();
      req.write(pieces[i]);
      setTimeout(() => write(i + 1), 20);
    };
    write(0);
  });
}

describe("xmlBody (koa-xml-body behind our guards)", () => {
  let s: Awaited<ReturnType<typeof serve>>;
  beforeAll(async () => {
    s = await serve(xmlBody(1024));
  });
  afterAll(() => s.close());

  it("decodes utf-8 after a request that declared charset=latin1", async () => {
    const first = await post(s.url, "text/xml; charset=latin1", [
      Buffer.from("<xml><a>caf\xe9</a></xml>", "latin1"),
    ]);
    expect(first.status).toBe(200);
    for (const type of ["text/xml; charset=utf-8", "text/xml"]) {
      const r = await post(s.url, type, ["<xml><a>你好</a><b><![CDATA[一 & <二>]]></b></xml>"]);
      expect(r.status).toBe(200);
      expect(r.body.xml.parsed).toEqual({ a: "你好", b: "一 & <二>" });
      expect(r.body.raw).toBe("<xml><a>你好</a><b><![CDATA[一 & <二>]]></b></xml>");
    }
  });

  it("refuses DOCTYPE and ENTITY before the parser sees them, even split across chunks", async () => {
    // A bare DOCTYPE parses fine in xml2js, so "refused" (not "malformed") shows the guard acted first.
    for (const pieces of [
      ['<?xml version="1.0"?><!DOC', "TYPE xml><xml><a>1</a></xml>"],
      ["<xml><!en", 'tity x "y"><a>1</a></xml>'],
      ['<!DOCTYPE xml [<!ENTITY x SYSTEM "file:///etc/passwd">]><xml><a>&x;</a></xml>'],
    ]) {
      const r = await post(s.url, "application/xml", pieces);
      expect(r.status).toBe(200);
      expect(r.body.xml).toEqual({ refused: "DOCTYPE/ENTITY not allowed" });
    }
  });

  it("refuses a body over the limit with 413 BODY_TOO_LARGE", async () => {
    const r = await post(s.url, "text/xml", [
      `<xml><a>${"x".repeat(600)}</a>`,
      `<b>${"y".repeat(600)}</b></xml>`,
    ]);
    expect(r.status).toBe(413);
    expect(r.body.error.code).toBe("BODY_TOO_LARGE");
  });

  it("marks malformed XML, keeping the text; other types are read raw for the codec", async () => {
    const bad = await post(s.url, "text/xml", ["<xml><a>1</xml>"]);
    expect(bad.body).toMatchObject({ xml: { refused: "malformed" }, raw: "<xml><a>1</xml>" });
    const other = await post(s.url, "text/plain", ["<xml><a>1</a></xml>"]);
    expect(other.body).toMatchObject({ xml: null, raw: "<xml><a>1</a></xml>" });
  });
});

describe("koa-xml-body without an explicit encoding (why xmlBody passes one)", () => {
  it("decodes later utf-8 bodies with an earlier request's charset", async () => {
    const s = await serve(koaXmlBody({ xmlOptions: { explicitArray: false, explicitRoot: false } }));
    try {
      await post(s.url, "text/xml; charset=latin1", ["<xml><a>x</a></xml>"]);
      const r = await post(s.url, "text/xml", ["<xml><a>你好</a></xml>"]);
      expect(r.body.plain.a).not.toBe("你好");
    } finally {
      await s.close();
    }
  });
});
