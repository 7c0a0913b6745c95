import { defineConfig } from "vite";
import vue from "@vitejs/plugin-vue";

// Served by the backend under /console/, on the same origin as /admin/v1 (no CORS, no key in URLs).
export default defineConfig({
  base: "/console/",
  plugins: [vue()],
  // shared/'s tsconfig targets ES2023, which this esbuild does not name; the browser build wants ES2022.
  esbuild: { tsconfigRaw: { compilerOptions: { target: "es2022" } } },
  build: { outDir: "dist", emptyOutDir: true, chunkSizeWarningLimit: 400 },
});
