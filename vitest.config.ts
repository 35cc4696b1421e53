// Test projects: plain Node for shared code and experiments; the SDK in Node against one real edge
// (wrangler dev) for the run; workerd for the edge; headless Chromium for the pages and the bundle.
import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { configDefaults, defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "node",
          include: ["test/node/**/*.test.ts"],
          exclude: [...configDefaults.exclude, "test/node/client-sdk/**"],
          environment: "node",
          testTimeout: 60_000,
        },
      },
      {
        test: {
          // The SDK as apps run it, over HTTP to the worker under wrangler dev, started once per run.
          name: "sdk",
          include: ["test/node/client-sdk/**/*.test.ts"],
          environment: "node",
          globalSetup: ["test/node/client-sdk/support/edge-setup.ts"],
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
      {
        plugins: [
          cloudflareTest({
            wrangler: { configPath: "./wrangler.toml" },
            // A fresh clone has no .dev.vars: the tests bring their own secrets (test values, public).
            miniflare: {
              bindings: {
                OPERATOR_TOKEN: "test-operator-token",
                ID_KEY: "test-id-key-not-a-secret",
                MODEL_SIGNING_KEY: "7e57000000000000000000000000000000000000000000000000000000000001",
              },
              // A second rate limiting binding with a limit a test can reach (rate-limit.test.ts).
              ratelimits: { TEST_RATE_LIMITER: { namespace_id: "1002", simple: { limit: 5, period: 60 } } },
            },
          }),
        ],
        test: {
          name: "worker",
          include: ["test/worker/**/*.test.ts"],
          testTimeout: 60_000,
        },
      },
      {
        test: {
          // Headless Chromium against the worker under wrangler dev (needs Debian's chromium).
          name: "browser",
          include: ["test/browser/**/*.test.ts"],
          environment: "node",
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
