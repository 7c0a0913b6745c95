/**
 * There is no Docker daemon on the development machines, so the compose file is checked by
 * reading it: every variable handed to the backend is one the config schema knows, values parse,
 * and published ports match what the services listen on.
 */
import fs from "node:fs";
import path from "node:path";
import { parse } from "yaml";
import { CONFIG_KEYS, loadConfig } from "../src/config";

const root = path.resolve(__dirname, "../..");
const compose = parse(fs.readFileSync(path.join(root, "docker-compose.yml"), "utf8"));

describe("docker-compose.yml", () => {
  const backend = compose.services.backend;
  const env: Record<string, string> = backend.environment;

  it("runs postgres 16 with a volume and a healthcheck", () => {
    expect(compose.services.postgres.image).toBe("postgres:16");
    expect(compose.services.postgres.volumes[0]).toMatch(/^pgdata:/);
    expect(compose.services.postgres.healthcheck.test.join(" ")).toContain("pg_isready");
    expect(backend.depends_on.postgres.condition).toBe("service_healthy");
  });

  it("passes the backend only variables its config schema knows", () => {
    for (const k of Object.keys(env)) expect(CONFIG_KEYS).toContain(k);
  });

  it("passes values the config accepts", () => {
    const resolved = { ...env, MASTER_KEY: Buffer.alloc(32, 7).toString("base64") };
    const c = loadConfig(resolved);
    expect(c.DATABASE_URL).toContain("@postgres:5432/");
    expect(c.SANDBOX_URL).toBe("http://sandbox:3100");
  });

  it("publishes the ports the services listen on", () => {
    expect(backend.ports).toContain(`${env.PORT}:${env.PORT}`);
    const sb = compose.services.sandbox;
    expect(sb.ports).toContain(`${sb.environment.SANDBOX_PORT}:${sb.environment.SANDBOX_PORT}`);
    expect(new URL(env.SANDBOX_URL).port).toBe(sb.environment.SANDBOX_PORT);
  });

  it("builds from multi-stage Dockerfiles that run as non-root with production dependencies", () => {
    for (const svc of ["backend", "sandbox"]) {
      const file = fs.readFileSync(path.join(root, compose.services[svc].build.dockerfile), "utf8");
      expect(file.match(/^FROM /gm)!.length).toBeGreaterThanOrEqual(2);
      expect(file).toMatch(/npm ci --omit=dev/);
      expect(file).toMatch(/^USER node$/m);
    }
  });
});
