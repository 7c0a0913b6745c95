#!/usr/bin/env node
// The `minipay` command: runs the compiled CLI (build it first: npm run build -w @minipay/backend).
// A committed shim, so npm links an executable bin even before the first build.
// eslint-disable-next-line @typescript-eslint/no-require-imports
require("../dist/cli/minipay.js");
