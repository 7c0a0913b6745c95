/**
 * Build-time configuration (Vite env, fixed into the bundle): where the backend is and which
 * mini-program this is. mp-weixin picks the API base by the running envVersion (develop / trial /
 * release), so one upload can be tried against staging and released against production.
 */
export type EnvVersion = "develop" | "trial" | "release";

export interface BuildEnv {
  VITE_API_BASE?: string;
  VITE_API_BASE_DEVELOP?: string;
  VITE_API_BASE_TRIAL?: string;
  VITE_API_BASE_RELEASE?: string;
  VITE_APPID?: string;
}

export class ConfigError extends Error {
  override name = "ConfigError";
}

/**
 * The backend's base URL for this envVersion: its own variable, else VITE_API_BASE. Trial and
 * release must be https (WeChat only allows https request domains there).
 */
export function apiBaseFor(env: BuildEnv, envVersion: EnvVersion): string {
  const own = {
    develop: env.VITE_API_BASE_DEVELOP,
    trial: env.VITE_API_BASE_TRIAL,
    release: env.VITE_API_BASE_RELEASE,
  }[envVersion];
  const base = (
    own ||
    env.VITE_API_BASE ||
    (envVersion === "develop" ? "http://127.0.0.1:3000" : "")
  ).replace(/\/+$/, "");
  if (!base)
    throw new ConfigError(`no API base for ${envVersion}: set VITE_API_BASE_${envVersion.toUpperCase()}`);
  if (envVersion !== "develop" && !/^https:\/\//.test(base))
    throw new ConfigError(`the ${envVersion} API base must be https, got ${base}`);
  return base;
}

export function asEnvVersion(v: unknown): EnvVersion {
  return v === "trial" || v === "release" ? v : "develop";
}
