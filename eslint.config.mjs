// Lint for src/, test/, bench/, examples/ and scripts/: typescript-eslint's recommended rules,
// with formatting left to prettier (eslint-config-prettier turns the clashing rules off).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import prettier from 'eslint-config-prettier';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', '.gpu-bundle/', 'examples/browser/classify.js', 'examples/browser/webcam.js'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  prettier,
  {
    rules: {
      // Unused parameters are part of the Keras hook signatures; a leading _ marks them.
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      // Optional peers and workers are loaded lazily, by design.
      '@typescript-eslint/no-require-imports': 'off',
    },
  },
);
