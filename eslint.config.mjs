import js from "@eslint/js";
import tseslint from "typescript-eslint";
import globals from "globals";

export default tseslint.config(
  {
    ignores: [
      "**/node_modules/**",
      "**/dist/**",
      "**/data/**",
      "coverage/**",
      "test-artifacts/**",
      "**/*.vue",
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node, ...globals.jest } },
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/no-explicit-any": "off",
      "no-restricted-syntax": [
        "error",
        { selector: "CallExpression[callee.property.name='skip']", message: "No skipped tests." },
        { selector: "CallExpression[callee.property.name='only']", message: "No focused tests." },
      ],
    },
  },
  {
    // Layering rule: nothing may import the HTTP layer or the composition root.
    files: [
      "backend/src/domain/**/*.ts",
      "backend/src/services/**/*.ts",
      "backend/src/db/**/*.ts",
      "backend/src/wechat/**/*.ts",
    ],
    rules: {
      "no-restricted-imports": ["error", { patterns: ["**/http/**", "**/http", "**/main", "**/main.ts"] }],
    },
  },
  {
    // uni-app conditional compilation (#ifdef) assigns in branches ESLint sees all at once.
    files: ["miniprogram/src/**/*.ts"],
    rules: { "no-useless-assignment": "off" },
  },
  {
    // The sandbox is an independent oracle: it must not reuse the backend's WeChat code.
    files: ["sandbox/**/*.ts"],
    rules: { "no-restricted-imports": ["error", { patterns: ["**/backend/**", "@minipay/backend*"] }] },
  },
  {
    files: ["backend/src/domain/**/*.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        { patterns: ["**/db/**", "**/wechat/**", "**/services/**", "**/http/**", "typeorm", "axios", "koa"] },
      ],
    },
  },
);
