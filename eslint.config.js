import js from '@eslint/js'
import reactHooks from 'eslint-plugin-react-hooks'
import globals from 'globals'
import tseslint from 'typescript-eslint'

const dbOnlyFromServer = {
  group: ['#db/*', '**/db/*'],
  message: 'Import #db/* only from *.server.ts modules.',
}
const noHttpInDomain = {
  group: ['#app/http/*', '**/http/*'],
  message: 'The domain never imports app/http: read the Request there and pass plain values in.',
}
const noApiInDomain = {
  group: ['#app/api/*', '**/api/*'],
  message:
    'The domain never imports app/api: the API calls the domain. Move what both need to app/domain or app/utils.',
}
const iconsFromOurModule = {
  group: ['lucide-react', 'lucide-react/*'],
  message:
    "Use the icons of #app/components/ui/icons.tsx (add one there): lucide-react's components rebuild every icon's attributes on each render, and its entry loads all ~1,800 icons.",
}
const noRoutes = (who) => ({
  group: ['#app/routes/*', '**/routes/*'],
  message: `Nothing imports a route; ${who} least of all. Move what both need to app/utils or app/domain.`,
})

export default tseslint.config(
  {
    ignores: [
      'build/',
      'node_modules/',
      'coverage/',
      'data/',
      // Scratch copies (e.g. bench:compare's build copy in .data-bench-build/), git-ignored too.
      '.data-*/',
      'migrations/',
      'test-results/',
      'playwright-report/',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.browser, ...globals.node } },
    plugins: { 'react-hooks': reactHooks },
    rules: {
      ...reactHooks.configs.recommended.rules,
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
    },
  },
  // Layer rules (docs/architecture.md, "Import rules"). In flat config a later block replaces an
  // earlier block's no-restricted-imports for the files both match, so each block lists every
  // pattern that applies to its files.
  {
    // db/ lives outside app/, so Remix's .server guard does not cover it: only server modules,
    // scripts, tests and the server entry may import the database layer.
    files: ['app/**/*.{ts,tsx}'],
    ignores: ['app/**/*.server.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [dbOnlyFromServer, iconsFromOurModule] }] },
  },
  {
    // The domain takes plain values: it never sees a Request, a cookie or a route.
    files: ['app/domain/**/*.{ts,tsx}'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [noHttpInDomain, noApiInDomain, noRoutes('the domain')] },
      ],
    },
  },
  {
    files: ['app/domain/**/*.{ts,tsx}'],
    ignores: ['app/domain/**/*.server.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [dbOnlyFromServer, noHttpInDomain, noApiInDomain, noRoutes('the domain')] },
      ],
    },
  },
  {
    files: ['app/components/**/*.{ts,tsx}'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [dbOnlyFromServer, noRoutes('a component'), iconsFromOurModule] },
      ],
    },
  },
  {
    // The one module that draws lucide's icons (from each icon's own module).
    files: ['app/components/ui/icons.tsx'],
    rules: { 'no-restricted-imports': ['error', { patterns: [dbOnlyFromServer, noRoutes('a component')] }] },
  },
  {
    // The data layer knows nothing of the app: no HTTP, no sessions, no domain rules.
    files: ['db/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['#app/*', '**/app/*'],
              message: 'db/ never imports app/: the app depends on the database layer, not the reverse.',
            },
          ],
        },
      ],
    },
  },
  {
    // Route results in tests are read loosely: the test asserts their shape.
    files: ['tests/**'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
)
