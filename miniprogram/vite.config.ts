import { defineConfig } from "vite";
import uni from "@dcloudio/vite-plugin-uni";

// H5 is served by the backend under /app/ (one origin with the API); mp-weixin ignores `base`.
export default defineConfig({
  base: process.env.UNI_PLATFORM === "h5" ? "/app/" : undefined,
  plugins: [uni()],
});
