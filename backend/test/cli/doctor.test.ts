/**
 * `minipay doctor` against the sandbox, as built (the compiled CLI as a child process over a real
 * database): every sandbox merchant passes as configured, and every broken credential the sandbox
 * can tell apart (made here by altering the credentials it hands out) fails the right check with
 * a plain-words line and exit code 1. The clock check runs in-process with a skewed clock.
 */
import { spawn } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import https from "node:https";
import os from "node:os";
import path from "node:path";
import type { AddressInfo } from "node:net";
import { createDataSource, runMigrations } from "../../src/db/data-source";
import { createDb, type Db } from "../../src/db/repositories";
import { merchantIdFor, sealSecrets } from "../../src/merchants/secrets";
import {
  fetchSandboxMerchants,
  SANDBOX_MERCHANT_NAMES,
  type MerchantSeed,
} from "../../src/merchants/sources";
import { SecretBox } from "../../src/security/secret-box";
import { runDoctor, type DoctorReport } from "../../src/services/doctor";
import { createCredentialProbe } from "../../src/wechat/probe";
import { createTestDatabaseUrl } from "../helpers/db";
import { buildBackend, repoRoot } from "../helpers/build";
import { startTestSandbox, type Sandbox } from "../helpers/sandbox-stack";

let sandbox: Sandbox;
let db: Db;
let closeDb: () => Promise<void>;
let databaseUrl: string;
let tmp: string;
let caFile: string;
let publicUrl: string;
let healthServer: https.Server;
const masterKey = crypto.randomBytes(32);
const box = new SecretBox(masterKey);
const seeds: Record<string, MerchantSeed> = {};

beforeAll(async () => {
  buildBackend();
  sandbox = await startTestSandbox();
  databaseUrl = await createTestDatabaseUrl();
  const ds = createDataSource(databaseUrl);
  await ds.initialize();
  await runMigrations(ds);
  db = createDb(ds);
  closeDb = () => ds.destroy();
  for (const s of await fetchSandboxMerchants(sandbox.url, SANDBOX_MERCHANT_NAMES)) seeds[s.name] = s;
  // An https "backend" on 127.0.0.1 with the sandbox's CA-signed certificate stands in for the
  // public address; the CLI trusts that CA through NODE_EXTRA_CA_CERTS, as it would a public one.
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "minipay-doctor-"));
  caFile = path.join(tmp, "ca.pem");
  fs.writeFileSync(caFile, sandbox.sandbox.keys.caCertPem);
  healthServer = https.createServer(
    { key: sandbox.sandbox.keys.wechatKeyPem, cert: sandbox.sandbox.keys.tlsCertPem },
    (req, res) => {
      res.statusCode = req.url === "/healthz" ? 200 : 404;
      res.end();
    },
  );
  await new Promise<void>((r) => healthServer.listen(0, "127.0.0.1", r));
  publicUrl = `https://127.0.0.1:${(healthServer.address() as AddressInfo).port}`;
}, 120_000);

afterAll(async () => {
  await new Promise((r) => healthServer?.close(r));
  await closeDb?.();
  await sandbox?.close();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v));

/**
 * Store a merchant (replacing the row of the same mchid) as the only enabled one (an altered mchid
 * keeps its appid, which only one enabled merchant may have), and return its id.
 */
async function store(seed: MerchantSeed, alsoEnabled: string[] = []): Promise<string> {
  const id = merchantIdFor(seed.credentials.mchid);
  await db.repos.merchants.disableAllExcept([id, ...alsoEnabled]);
  await db.repos.merchants.upsert({
    id,
    name: seed.name,
    source: "file",
    apiVersion: seed.credentials.apiVersion,
    appid: seed.credentials.appid,
    mchid: seed.credentials.mchid,
    credentialsSealed: sealSecrets(box, seed),
    sandboxUrl: null,
  });
  return id;
}

/** A seed of the named sandbox merchant, altered by `breakIt`. */
function variant(name: string, breakIt: (s: MerchantSeed) => void = () => {}): MerchantSeed {
  const s = clone(seeds[name]!);
  breakIt(s);
  return s;
}

/** Async (not spawnSync): the sandbox and the https stand-in answer from this process. */
function doctor(
  args: string[],
  env: Record<string, string | undefined> = {},
): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(path.join(repoRoot, "backend/bin/minipay.js"), ["doctor", ...args], {
      cwd: repoRoot,
      env: {
        PATH: process.env.PATH,
        DATABASE_URL: databaseUrl,
        DATA_DIR: tmp,
        MASTER_KEY: masterKey.toString("base64"),
        NODE_EXTRA_CA_CERTS: caFile,
        PUBLIC_BASE_URL: publicUrl,
        ...env,
      },
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("close", (status) => resolve({ status, stdout, stderr }));
  });
}

/** The line of one check: "  ✓ title: detail" (or ✗ / –). */
function line(out: string, title: string): string {
  const l = out
    .split("\n")
    .find(
      (x) => x.startsWith(`  ✓ ${title}:`) || x.startsWith(`  ✗ ${title}:`) || x.startsWith(`  – ${title}:`),
    );
  if (!l) throw new Error(`no "${title}" line in:\n${out}`);
  return l;
}
const passed = (out: string, title: string) => expect(line(out, title)).toMatch(/^ {2}✓ /);
const failed = (out: string, title: string, says: RegExp) => {
  const l = line(out, title);
  expect(l).toMatch(/^ {2}✗ /);
  expect(l).toMatch(says);
  expect(l).toContain(" → "); // and what to do
};

const TITLES = [
  "key mode",
  "merchant private key",
  "signed call to WeChat",
  "WeChat's signature",
  "clock",
  "notify URL",
];

describe("a correct configuration", () => {
  it.each(SANDBOX_MERCHANT_NAMES)(
    "%s passes every check, exit code 0",
    async (name) => {
      const id = await store(variant(name));
      const r = await doctor(["--merchant", id]);
      expect([r.status, r.stderr]).toEqual([0, ""]);
      expect(r.stdout.split("\n")[0]).toBe(`${id} (${name})`);
      for (const t of [...TITLES, name.startsWith("v2") ? "APIv2 key" : "APIv3 key"]) passed(r.stdout, t);
      expect(r.stdout).toContain("all checks passed");
      expect(line(r.stdout, "key mode")).toMatch(
        {
          "v2-md5": /APIv2, MD5/,
          "v2-hmac": /APIv2, HMAC-SHA256/,
          "v3-platform-cert": /platform certificates/,
          "v3-public-key": /public key PUB_KEY_ID_/,
        }[name]!,
      );
      expect(line(r.stdout, "signed call to WeChat")).toMatch(
        name.startsWith("v2") ? /ORDERNOTEXIST/ : /ORDER_NOT_EXIST/,
      );
      // Secrets never reach the output.
      const c = seeds[name]!.credentials;
      for (const secret of [c.v2?.key, c.v3?.apiV3Key].filter(Boolean))
        expect(r.stdout).not.toContain(secret);
    },
    60_000,
  );

  it("without --merchant checks every enabled merchant", async () => {
    const ids: string[] = [];
    for (const n of SANDBOX_MERCHANT_NAMES) ids.push(await store(variant(n), ids));
    const r = await doctor([]);
    expect(r.status).toBe(0);
    for (const n of SANDBOX_MERCHANT_NAMES) expect(r.stdout).toContain(`(${n})`);
  }, 60_000);
});

describe("broken APIv2 credentials", () => {
  it.each(["v2-md5", "v2-hmac"])(
    "%s: a wrong APIv2 key is refused by WeChat",
    async (name) => {
      const id = await store(variant(name, (s) => (s.credentials.v2!.key = "x".repeat(32))));
      const r = await doctor(["--merchant", id]);
      expect(r.status).toBe(1);
      passed(r.stdout, "APIv2 key"); // right length, wrong key: only WeChat can tell
      failed(r.stdout, "signed call to WeChat", /签名错误.*APIv2 key/);
      expect(line(r.stdout, "WeChat's signature")).toMatch(/^ {2}– /);
    },
    60_000,
  );

  it("an APIv2 key of the wrong length", async () => {
    const id = await store(
      variant("v2-md5", (s) => (s.credentials.v2!.key = s.credentials.v2!.key.slice(0, 31))),
    );
    const r = await doctor(["--merchant", id]);
    expect(r.status).toBe(1);
    failed(r.stdout, "APIv2 key", /31 bytes long/);
  }, 60_000);

  it("a wrong mchid and an appid not bound to the mchid", async () => {
    const wrongMchid = await store(variant("v2-md5", (s) => (s.credentials.mchid = "1999999999")));
    const a = await doctor(["--merchant", wrongMchid]);
    expect(a.status).toBe(1);
    failed(a.stdout, "signed call to WeChat", /MCHID_NOT_EXIST.*merchant number/);

    const id = await store(variant("v2-hmac", (s) => (s.credentials.appid = "wx0000000000000000")));
    const b = await doctor(["--merchant", id]);
    expect(b.status).toBe(1);
    failed(b.stdout, "signed call to WeChat", /APPID_MCHID_NOT_MATCH.*not bound/);
  }, 60_000);

  it("a client certificate whose key is another one", async () => {
    const other = crypto
      .generateKeyPairSync("rsa", { modulusLength: 2048 })
      .privateKey.export({ type: "pkcs8", format: "pem" }) as string;
    const id = await store(variant("v2-md5", (s) => (s.credentials.v2!.clientKeyPem = other)));
    const r = await doctor(["--merchant", id]);
    expect(r.status).toBe(1);
    failed(r.stdout, "merchant private key", /does not belong to the API client certificate/);
  }, 60_000);
});

describe("broken APIv3 credentials", () => {
  const otherKey = () =>
    crypto
      .generateKeyPairSync("rsa", { modulusLength: 2048 })
      .privateKey.export({ type: "pkcs8", format: "pem" }) as string;

  it.each(["v3-platform-cert", "v3-public-key"])(
    "%s: a wrong APIv3 key does not decrypt WeChat's certificates",
    async (name) => {
      const id = await store(variant(name, (s) => (s.credentials.v3!.apiV3Key = "k".repeat(32))));
      const r = await doctor(["--merchant", id]);
      expect(r.status).toBe(1);
      failed(r.stdout, "APIv3 key", /does not decrypt WeChat's platform certificates/);
      passed(r.stdout, "signed call to WeChat"); // the APIv3 key plays no part in signing
    },
    60_000,
  );

  it("an APIv3 key of the wrong length", async () => {
    const id = await store(variant("v3-public-key", (s) => (s.credentials.v3!.apiV3Key += "!")));
    const r = await doctor(["--merchant", id]);
    expect(r.status).toBe(1);
    failed(r.stdout, "APIv3 key", /33 bytes long; the APIv3 key must be exactly 32/);
  }, 60_000);

  it("a private key that is not the certificate's: found locally and refused by WeChat", async () => {
    const key = otherKey();
    const id = await store(variant("v3-public-key", (s) => (s.credentials.v3!.privateKeyPem = key)));
    const r = await doctor(["--merchant", id]);
    expect(r.status).toBe(1);
    failed(r.stdout, "merchant private key", /does not belong to the merchant API certificate/);
    failed(r.stdout, "signed call to WeChat", /SIGN_ERROR.*private key/);

    // Without the certificate stored, WeChat's refusal is what tells.
    const bare = await store(
      variant("v3-platform-cert", (s) => {
        s.credentials.v3!.privateKeyPem = key;
        delete s.credentials.v3!.certificatePem;
      }),
    );
    const b = await doctor(["--merchant", bare]);
    expect(b.status).toBe(1);
    passed(b.stdout, "merchant private key");
    failed(b.stdout, "signed call to WeChat", /SIGN_ERROR/);
  }, 60_000);

  it("a wrong certificate serial", async () => {
    const id = await store(
      variant(
        "v3-platform-cert",
        (s) => (s.credentials.v3!.certificateSerial = "7ABCDEF0123456789ABCDEF0123456789ABCDEF0"),
      ),
    );
    const r = await doctor(["--merchant", id]);
    expect(r.status).toBe(1);
    failed(
      r.stdout,
      "merchant private key",
      /configured serial 7ABCDEF0123456789ABCDEF0123456789ABCDEF0 is not the certificate's serial/,
    );
    failed(r.stdout, "signed call to WeChat", /SIGN_ERROR 证书序列号错误/);
  }, 60_000);

  it("a wrong mchid", async () => {
    const id = await store(variant("v3-public-key", (s) => (s.credentials.mchid = "1999999998")));
    const r = await doctor(["--merchant", id]);
    expect(r.status).toBe(1);
    failed(r.stdout, "signed call to WeChat", /SIGN_ERROR 商户号不存在.*mchid \(1999999998\)/);
  }, 60_000);

  it("a wrong WeChat Pay public key, or the right key under a wrong ID", async () => {
    const pub = crypto.createPublicKey(otherKey()).export({ type: "spki", format: "pem" }) as string;
    const a = await doctor([
      "--merchant",
      await store(variant("v3-public-key", (s) => (s.credentials.v3!.publicKeyPem = pub))),
    ]);
    expect(a.status).toBe(1);
    passed(a.stdout, "signed call to WeChat");
    failed(
      a.stdout,
      "WeChat's signature",
      /does not verify with the WeChat Pay public key.*download the WeChat Pay public key/,
    );

    const b = await doctor([
      "--merchant",
      await store(
        variant(
          "v3-public-key",
          (s) => (s.credentials.v3!.publicKeyId = "PUB_KEY_ID_0000000000000000000000000000000000"),
        ),
      ),
    ]);
    expect(b.status).toBe(1);
    failed(
      b.stdout,
      "WeChat's signature",
      /signed with a key other than the WeChat Pay public key PUB_KEY_ID_0+/,
    );

    const c = await doctor([
      "--merchant",
      await store(variant("v3-public-key", (s) => (s.credentials.v3!.publicKeyPem = "not a key"))),
    ]);
    expect(c.status).toBe(1);
    failed(c.stdout, "key mode", /not a readable PEM key/);
  }, 60_000);

  it("a stored platform certificate that is not WeChat's", async () => {
    const id = await store(
      variant("v3-platform-cert", (s) => {
        const v3 = s.credentials.v3!;
        // The merchant's own certificate under the platform serial: parses, but is the wrong key.
        v3.platformCertificates = [{ serial: v3.platformCertificates![0]!.serial, pem: v3.certificatePem! }];
      }),
    );
    const r = await doctor(["--merchant", id]);
    expect(r.status).toBe(1);
    failed(r.stdout, "WeChat's signature", /does not verify with the platform certificates/);
  }, 60_000);
});

describe("notify URL and usage", () => {
  it("fails without PUBLIC_BASE_URL, with http, and with an https address nobody answers", async () => {
    const id = await store(variant("v3-public-key"));
    const unset = await doctor(["--merchant", id], { PUBLIC_BASE_URL: undefined });
    expect(unset.status).toBe(1);
    failed(
      unset.stdout,
      "notify URL",
      /PUBLIC_BASE_URL is not set.*http:\/\/127\.0\.0\.1:\d+\/notify\/wechat\/mch_\d+\/v3\/pay/,
    );
    passed(unset.stdout, "signed call to WeChat");

    const http = await doctor(["--merchant", id], { PUBLIC_BASE_URL: "http://shop.example.com" });
    failed(http.stdout, "notify URL", /http:\/\/shop\.example\.com\/notify\/wechat\/.* is not https/);

    const closed = await doctor(["--merchant", id], { PUBLIC_BASE_URL: "https://127.0.0.1:9" });
    failed(closed.stdout, "notify URL", /not reachable over https \(ECONNREFUSED/);

    const untrusted = await doctor(["--merchant", id], { NODE_EXTRA_CA_CERTS: undefined });
    failed(untrusted.stdout, "notify URL", /not reachable over https/);
  }, 60_000);

  it("refuses an unknown merchant with exit code 2", async () => {
    const r = await doctor(["--merchant", "mch_0"]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/no merchant mch_0/);
  }, 30_000);
});

describe("clock and an unreachable WeChat (in-process, injected clock)", () => {
  async function inProcess(
    name: string,
    offsetMs: number,
    alter: (s: MerchantSeed) => void = () => {},
  ): Promise<DoctorReport> {
    const s = variant(name, alter);
    const now = () => new Date(Date.now() + offsetMs);
    return runDoctor(
      {
        merchantId: "m",
        merchantName: name,
        credentials: s.credentials,
        publicBaseUrl: publicUrl,
        notifyUrl: `${publicUrl}/notify`,
      },
      {
        probe: (c) => createCredentialProbe(c, { clock: now, timeoutMs: 5000 }),
        reach: async () => ({ status: 200 }),
        now,
      },
    );
  }
  const get = (r: DoctorReport, id: string) => r.checks.find((c) => c.id === id)!;

  it("a clock 10 minutes fast: WeChat refuses the signature, and the doctor says the clock is why", async () => {
    const r = await inProcess("v3-public-key", 600_000);
    expect(get(r, "clock")).toMatchObject({ ok: false });
    expect(get(r, "clock").detail).toMatch(/^this machine's clock is (59[89]|60[0-2]) s ahead of WeChat's$/);
    expect(get(r, "signed-call").ok).toBe(false);
    expect(get(r, "signed-call").fix).toMatch(
      /clock is (59[89]|60[0-2]) s off WeChat's: fix the clock first/,
    );
  }, 30_000);

  it("a clock 2 minutes slow on APIv2 (no timestamp in v2 signing): the call passes, the clock fails", async () => {
    const r = await inProcess("v2-md5", -120_000);
    expect(get(r, "signed-call").ok).toBe(true);
    expect(get(r, "clock")).toMatchObject({ ok: false });
    expect(get(r, "clock").detail).toMatch(/1(19|20|21) s behind WeChat's/);
    expect(r.failed).toBe(1);
  }, 30_000);

  it("WeChat unreachable: the call fails with the network reason, the clock cannot be checked", async () => {
    const r = await inProcess("v3-platform-cert", 0, (s) => (s.credentials.baseUrl = "http://127.0.0.1:9"));
    expect(get(r, "signed-call")).toMatchObject({ ok: false });
    expect(get(r, "signed-call").detail).toMatch(
      /no answer from http:\/\/127\.0\.0\.1:9 \(connection_refused\)/,
    );
    expect(get(r, "clock").ok).toBeNull();
    expect(get(r, "api-key").ok).toBeNull();
  }, 30_000);
});
