import { defineConfig, loadEnv, type Plugin } from "vite";
import uni from "@dcloudio/vite-plugin-uni";

/**
 * The mp-weixin project file from build-time env: VITE_APPID names the mini-program (WeChat DevTools
 * and uploads use it), and WeChat's request-domain check stays on unless VITE_URL_CHECK=false (for a
 * local http backend in DevTools only; trial and release always check).
 */
function mpProjectConfig(env: Record<string, string>): Plugin {
  return {
    name: "minipay:mp-project-config",
    apply: "build",
    generateBundle(_, bundle) {
      const file = bundle["project.config.json"];
      if (!file || file.type !== "asset") return;
      const project = JSON.parse(String(file.source));
      if (env.VITE_APPID) {
        if (!/^wx[0-9a-f]{16}$/.test(env.VITE_APPID))
          throw new Error(`VITE_APPID must be wx followed by 16 hex digits, got ${env.VITE_APPID}`);
        project.appid = env.VITE_APPID;
      }
      project.setting = { ...project.setting, urlCheck: env.VITE_URL_CHECK !== "false" };
      file.source = JSON.stringify(project, null, 2);
    },
  };
}

// H5 is served by the backend under /app/ (one origin with the API); mp-weixin ignores `base`.
export default defineConfig(({ mode }) => {
  const env = { ...loadEnv(mode, __dirname, "VITE_"), ...pick(process.env, "VITE_") };
  return {
    base: process.env.UNI_PLATFORM === "h5" ? "/app/" : undefined,
    plugins: [uni(), mpProjectConfig(env)],
  };
});

function pick(from: Record<string, string | undefined>, prefix: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(from)) if (k.startsWith(prefix) && v !== undefined) out[k] = v;
  return out;
}
