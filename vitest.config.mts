import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Tests that start the policy pack or build git repositories take a few seconds on a 2-core machine.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // A TMPDIR of the run's own: what a test leaves behind there fails the run (test/support/tmpdir.ts).
    globalSetup: ["test/support/tmpdir.ts"],
    // @actions/workflow-parser imports its JSON schema without an import attribute, which Node refuses;
    // bundled by vitest's dependency optimizer, it loads.
    deps: { optimizer: { ssr: { enabled: true, include: ["@actions/workflow-parser"] } } },
  },
});
