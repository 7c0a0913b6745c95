// One jest run for every workspace. TypeScript is stripped by swc (fast, decorator metadata for
// TypeORM); type errors are caught by `npm run typecheck`, not here.
const swc = [
  "@swc/jest",
  {
    jsc: {
      parser: { syntax: "typescript", decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true, useDefineForClassFields: false },
      target: "es2022",
    },
    module: { type: "commonjs" },
  },
];
const project = (name, extra = {}) => ({
  displayName: name,
  rootDir: `<rootDir>/${name}`,
  testEnvironment: "node",
  transform: { "^.+\\.ts$": swc },
  testMatch: ["<rootDir>/src/**/*.test.ts", "<rootDir>/test/**/*.test.ts"],
  moduleNameMapper: { "^@minipay/shared$": "<rootDir>/../shared/src/index.ts" },
  ...extra,
});
/** @type {import('jest').Config} */
module.exports = {
  rootDir: __dirname,
  globalSetup: "<rootDir>/backend/test/global-setup.ts",
  globalTeardown: "<rootDir>/backend/test/global-teardown.ts",
  testTimeout: 30000,
  // The suites mostly wait on PostgreSQL, HTTP and timers. Jest's default (CPUs − 1, so one worker
  // on the 2-CPU CI machines) left a CPU idle: load average ~1.0 and 10.4 min of jest for 131 suites.
  maxWorkers: 2,
  projects: [
    project("shared"),
    project("sandbox"),
    project("backend"),
    project("miniprogram"),
    project("console"),
  ],
};
