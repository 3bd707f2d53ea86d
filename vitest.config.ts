import { defineConfig } from "vitest/config";

// Every workspace package resolves to its TypeScript source through the "momenta-source" export
// condition (the same one tsconfig.json's customConditions names): no aliases.
const conditions = ["momenta-source", "module", "node", "import", "default"];

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions, externalConditions: ["momenta-source"] } },
  test: {
    include: [
      "packages/*/test/**/*.test.ts",
      "apps/*/test/**/*.test.ts",
      "tools/*/test/**/*.test.ts",
      "scripts/test/**/*.test.ts",
    ],
    testTimeout: 60_000,
  },
});
