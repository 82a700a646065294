import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["dist/**", "node_modules/**", "audit-output/**", "demo-output/**", "coverage/**"] },
  js.configs.recommended,
  {
    files: ["**/*.ts"],
    extends: [...tseslint.configs.recommendedTypeChecked],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      "@typescript-eslint/no-unused-vars": [
        "error",
        { argsIgnorePattern: "^_", varsIgnorePattern: "^_", ignoreRestSiblings: true },
      ],
      "@typescript-eslint/consistent-type-imports": "error",
      "@typescript-eslint/no-floating-promises": "error",
    },
  },
  {
    files: ["src/policy/**/*.ts"],
    rules: {
      // Rules are pure functions of a snapshot: no SDK objects, no I/O, no clock.
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            { group: ["@azure/*"], message: "src/policy is pure: it reads the snapshot, never the SDK." },
            {
              group: ["node:fs", "node:fs/*", "node:http", "node:https", "node:net", "fs", "http", "https"],
              message: "src/policy does no I/O.",
            },
          ],
        },
      ],
      "no-restricted-syntax": [
        "error",
        {
          selector: "NewExpression[callee.name='Date'][arguments.length=0]",
          message: "src/policy has no clock: the run's time is passed in.",
        },
        {
          selector: "CallExpression[callee.object.name='Date'][callee.property.name='now']",
          message: "src/policy has no clock: the run's time is passed in.",
        },
      ],
    },
  },
  {
    files: ["**/*.js", "**/*.mjs"],
    languageOptions: {
      globals: {
        process: "readonly",
        console: "readonly",
        require: "readonly",
        module: "writable",
        __dirname: "readonly",
        performance: "readonly",
      },
    },
  },
  {
    // The report's script runs in the browser, as a classic script: the page's globals, nothing of Node.
    files: ["src/report/assets/*.js"],
    languageOptions: {
      sourceType: "script",
      globals: {
        process: "off",
        require: "off",
        module: "off",
        __dirname: "off",
        document: "readonly",
        location: "readonly",
        navigator: "readonly",
        atob: "readonly",
        Blob: "readonly",
        DecompressionStream: "readonly",
        Response: "readonly",
        URL: "readonly",
        URLSearchParams: "readonly",
        fetch: "readonly",
        setTimeout: "readonly",
        clearTimeout: "readonly",
        performance: "readonly",
      },
    },
  },
);
