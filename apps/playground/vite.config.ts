/**
 * The Playground's Vite config: `npm run playground` serves this folder, `npm run build:web` writes
 * dist/. The "momenta-source" export condition resolves momenta-optim and @momenta/landscapes to their
 * TypeScript source, so the page runs the library's real optimizers as they stand in the repo.
 */
import { fileURLToPath } from "node:url";
import { defaultClientConditions, defineConfig } from "vite";

export default defineConfig({
  root: fileURLToPath(new URL(".", import.meta.url)),
  // Relative asset URLs: dist/ works from any path (or a subfolder of a static host).
  base: "./",
  resolve: { conditions: ["momenta-source", ...defaultClientConditions] },
  build: {
    outDir: "dist",
    emptyOutDir: true,
    target: "es2022",
    // One small bundle: nothing is fetched at run time, so the page works offline.
    modulePreload: { polyfill: false },
    // The MNIST page's bundle holds TF.js with its webgpu and webgl backends (≈ 820 kB minified).
    chunkSizeWarningLimit: 1000,
    // Two pages: the optimizer race (index.html) and MNIST trained on the GPU (mnist.html).
    rolldownOptions: {
      input: {
        index: fileURLToPath(new URL("./index.html", import.meta.url)),
        mnist: fileURLToPath(new URL("./mnist.html", import.meta.url)),
      },
    },
  },
  server: { host: "127.0.0.1", port: 5173 },
  preview: { host: "127.0.0.1", port: 4173 },
});
