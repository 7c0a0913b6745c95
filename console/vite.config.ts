import { defineConfig } from "vite";
import vue from "@vitejs/plugin-vue";

// Served by the backend under /console/, on the same origin as /admin/v1 (no CORS, no key in URLs).
export default defineConfig({
  base: "/console/",
  plugins: [vue()],
  build: { outDir: "dist", emptyOutDir: true, chunkSizeWarningLimit: 400 },
});
