/**
 * Errors raised before a notify reaches its service are still answered in WeChat's shape on the
 * notify URLs (http/middleware/notify-errors.ts): v2 XML with return_code FAIL, v3 JSON with code
 * FAIL, the status unchanged (WeChat resends anything that is not a success). Other routes keep our
 * JSON error shape.
 */
import { startHarness, type Harness } from "../helpers/harness";

let h: Harness;
beforeAll(async () => {
  h = await startHarness({});
});
afterAll(() => h.close());

const post = (path: string, body: string, type: string) =>
  fetch(`${h.url}${path}`, { method: "POST", headers: { "content-type": type }, body });

it("an unknown merchant on a v2 URL: 404 with a v2 FAIL answer naming the code", async () => {
  const r = await post("/notify/wechat/mch_0000000000/v2/pay", "<xml></xml>", "text/xml");
  expect(r.status).toBe(404);
  expect(r.headers.get("content-type")).toMatch(/^text\/xml/);
  expect(await r.text()).toBe(
    "<xml><return_code><![CDATA[FAIL]]></return_code><return_msg><![CDATA[NOT_FOUND]]></return_msg></xml>",
  );
});

it("an unknown merchant on a v3 URL: 404 with a v3 FAIL answer", async () => {
  const r = await post("/notify/wechat/mch_0000000000/v3/refund", "{}", "application/json");
  expect(r.status).toBe(404);
  expect(r.headers.get("content-type")).toMatch(/^application\/json/);
  expect(await r.json()).toEqual({ code: "FAIL", message: "NOT_FOUND" });
});

it("the legacy v2 URL with a body over the limit: 413 in the v2 shape", async () => {
  const r = await post("/notify/wechat/v2/pay", `<xml><a>${"x".repeat(200_000)}</a></xml>`, "text/xml");
  expect(r.status).toBe(413);
  expect(await r.text()).toContain("<return_msg><![CDATA[BODY_TOO_LARGE]]></return_msg>");
});

it("other routes keep the JSON error shape", async () => {
  const r = await post("/api/v1/nothing-here", "{}", "application/json");
  expect(r.status).toBe(404);
  expect(((await r.json()) as { error: { code: string } }).error.code).toBe("NOT_FOUND");
});
