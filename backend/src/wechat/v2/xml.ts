/**
 * APIv2 XML: building our requests and parsing WeChat's (and attackers') bodies. Parsing is
 * hostile-input handling: size cap, no DOCTYPE/ENTITY at all (WeChat never sends them), no
 * prototype keys, flat string values only.
 */
import { parseStringPromise } from "xml2js";

export const MAX_XML_BYTES = 64 * 1024;

export class XmlRejected extends Error {
  constructor(reason: string) {
    super(`xml rejected: ${reason}`);
    this.name = "XmlRejected";
  }
}

const cdata = (v: string) => `<![CDATA[${v.replace(/]]>/g, "]]]]><![CDATA[>")}]]>`;

export function buildXml(fields: Record<string, string | number | undefined | null>): string {
  let out = "<xml>";
  for (const [k, v] of Object.entries(fields)) {
    if (v === undefined || v === null || v === "") continue;
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k)) throw new Error(`bad xml field name ${k}`);
    out += typeof v === "number" ? `<${k}>${v}</${k}>` : `<${k}>${cdata(v)}</${k}>`;
  }
  return out + "</xml>";
}

/** How every v2 body is read into a flat object. */
export const XML_PARSE_OPTIONS = Object.freeze({ explicitArray: false, explicitRoot: false, trim: true });

/** WeChat never sends a DTD; any body with one is refused before it is parsed. */
export const DECLARATION = /<!DOCTYPE|<!ENTITY/i;

export async function parseXml(input: string | Buffer): Promise<Record<string, string>> {
  const text = typeof input === "string" ? input : input.toString("utf8");
  if (Buffer.byteLength(text) > MAX_XML_BYTES) throw new XmlRejected("too large");
  if (DECLARATION.test(text)) throw new XmlRejected("DOCTYPE/ENTITY not allowed");
  let parsed: unknown;
  try {
    parsed = await parseStringPromise(text, { ...XML_PARSE_OPTIONS });
  } catch {
    throw new XmlRejected("malformed");
  }
  return flattenXml(parsed);
}

/**
 * The checks on a parsed body, wherever it was parsed: an <xml> document of flat string values,
 * no prototype keys, copied onto an object without a prototype.
 */
export function flattenXml(parsed: unknown): Record<string, string> {
  if (!parsed || typeof parsed !== "object") throw new XmlRejected("not an <xml> document");
  const out: Record<string, string> = Object.create(null);
  for (const [k, v] of Object.entries(parsed as Record<string, unknown>)) {
    if (k === "__proto__" || k === "constructor" || k === "prototype") throw new XmlRejected("forbidden key");
    if (typeof v === "string") out[k] = v;
    else if (v && typeof v === "object" && Object.keys(v).length === 0) out[k] = "";
    else throw new XmlRejected(`field ${k} is not a plain value`);
  }
  return out;
}
