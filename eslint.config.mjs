// ESLint (flat config) with typescript-eslint's type-aware rules: they catch what hurts Pulumi programs
// most, such as an Output in a template literal or a promise nobody awaits.
import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
    { ignores: ["**/node_modules/", "app/dist/", "bin/", "rendered/", "eslint.config.mjs"] },
    js.configs.recommended,
    ...tseslint.configs.recommendedTypeChecked,
    {
        languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
        rules: {
            // Outputs and unknowns must not be stringified by accident ("Calling [toString] on an Output").
            "@typescript-eslint/restrict-template-expressions": ["error", { allowNumber: true, allowBoolean: true }],
            "@typescript-eslint/no-floating-promises": "error",
            // async functions that satisfy a Promise-returning interface (fakes, route tables) are fine.
            "@typescript-eslint/require-await": "off",
            "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_" }],
            eqeqeq: ["error", "always"],
        },
    },
    {
        // Tests, their support code and the policy rules inspect untyped mock payloads and manifests.
        files: ["test/**/*.ts", "policy/**/*.ts"],
        rules: {
            "@typescript-eslint/no-explicit-any": "off",
            "@typescript-eslint/no-unsafe-assignment": "off",
            "@typescript-eslint/no-unsafe-member-access": "off",
            "@typescript-eslint/no-unsafe-argument": "off",
            "@typescript-eslint/no-unsafe-call": "off",
            "@typescript-eslint/no-unsafe-return": "off",
        },
    },
);
