/**
 * The Playground's Vite config: `npm run playground` serves web/, `npm run build:web` writes
 * web/dist/. `momenta` resolves to the library's own source, so the page runs the real optimizers.
 */
import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

export default defineConfig({
  root: fileURLToPath(new URL(".", import.meta.url)),
  // Relative asset URLs: web/dist/ works from any path (or a subfolder of a static host).
  base: "./",
  resolve: {
    alias: [{ find: /^momenta$/, replacement: fileURLToPath(new URL("../src/index.ts", import.meta.url)) }],
  },
  build: {
    outDir: "dist",
    emptyOutDir: true,
    target: "es2022",
    // One small bundle: nothing is fetched at run time, so the page works offline.
    modulePreload: { polyfill: false },
  },
  server: { host: "127.0.0.1", port: 5173 },
  preview: { host: "127.0.0.1", port: 4173 },
});
