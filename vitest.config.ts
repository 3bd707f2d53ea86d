import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

export default defineConfig({
  resolve: {
    alias: [
      {
        find: /^momenta\/tfjs$/,
        replacement: fileURLToPath(new URL("./src/tfjs/index.ts", import.meta.url)),
      },
      {
        find: /^momenta\/node$/,
        replacement: fileURLToPath(new URL("./src/node/index.ts", import.meta.url)),
      },
      { find: /^momenta$/, replacement: fileURLToPath(new URL("./src/index.ts", import.meta.url)) },
    ],
  },
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 60_000,
  },
});
