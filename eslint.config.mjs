// @ts-check
// `npm run lint`: the architecture's shape and the few correctness rules we treat as errors.
// Prettier formats; no stylistic rules here. Anything added beyond these should earn its churn.
import { builtinModules } from 'node:module';
import { defineConfig } from 'eslint/config';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';
import { importX } from 'eslint-plugin-import-x';
import tseslint from 'typescript-eslint';

const root = import.meta.dirname;

/**
 * The floors of src/, top to bottom. A file may import its own floor and the floors below it, never
 * one above. Moving a folder to another floor, or adding one, is a change to this table alone.
 * @type {Array<[floor: string, folders: string[]]>}
 */
const FLOORS = [
  ['roles', ['src/workers']],
  ['operators', ['src/commands', 'src/admin']],
  ['dispatch', ['src/pollers', 'src/sweeps']],
  ['work', ['src/workflows', 'src/activities']],
  ['services', ['src/observability', 'src/db', 'src/marketplaces', 'src/queues']],
  ['platform', ['src/platform']],
  ['config', ['src/config']],
  ['contracts', ['src/contracts']],
];

const rel = (/** @type {string} */ dir) => `./${dir}`;

/** @type {Array<{ target: string | string[]; from: string | string[]; except?: string[]; message: string }>} */
const zones = [
  // No upward imports: each floor against every floor above it (floor numbers count up from 0 at the bottom).
  ...FLOORS.slice(1).map(([name, folders], i) => {
    const above = FLOORS.slice(0, i + 1);
    return {
      target: folders.map(rel),
      from: above.flatMap(([, dirs]) => dirs.map(rel)),
      message:
        `${folders.join(', ')} is on floor ${FLOORS.length - 2 - i} (${name}): it may import only its own floor and ` +
        `those below, not ${above.map(([floor]) => floor).join(', ')}.`,
    };
  }),
  // A folder of src/ that is on no floor has no place in the order: put it in FLOORS.
  {
    target: './src',
    from: './src',
    except: FLOORS.flatMap(([, folders]) => folders.map((folder) => `./${folder.slice('src/'.length)}`)),
    message: 'This folder of src/ is on no floor: add it to FLOORS in eslint.config.mjs (or move it onto one).',
  },
  // Workflow code runs in Temporal's sandbox: of ours, only workflows, contracts and activities (as types,
  // enforced by no-restricted-imports below).
  {
    target: './src/workflows',
    from: './src',
    except: ['./workflows', './contracts', './activities'],
    message: 'Workflow code may import, of ours, only src/workflows, src/contracts and type-only src/activities.',
  },
  // The edges of src/.
  {
    target: './src',
    from: ['./simulator', './scripts', './test'],
    message: 'src/ must not import simulator/, scripts/ or test/.',
  },
  { target: './scripts', from: './test', message: 'scripts/ must not import test/.' },
  {
    target: './simulator',
    from: './src',
    except: ['./contracts'],
    message: 'The simulator may import, of src/, only src/contracts.',
  },
  {
    target: './simulator',
    from: ['./scripts', './test'],
    message: 'The simulator may import, of ours, only src/contracts.',
  },
];

const escape = (/** @type {string} */ text) => text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
const NODE_BUILTINS = `^(node:|(${builtinModules.map(escape).join('|')})(/|$))`;

export default defineConfig(
  { ignores: ['dist/', 'coverage/', '.data/', '.tools/', '.venv/', 'docs/', 'migrations/'] },
  {
    files: ['{src,scripts,test,simulator}/**/*.{ts,mts,cts,js,mjs,cjs}'],
    plugins: { 'import-x': importX, '@typescript-eslint': tseslint.plugin },
    languageOptions: { parser: tseslint.parser, ecmaVersion: 'latest', sourceType: 'module' },
    settings: {
      // As import-x's TypeScript preset sets them: with neither, import-x reads no TypeScript module it
      // imports, and no-cycle sees no cycle (floors.test.ts's cycle case fails).
      'import-x/extensions': ['.ts', '.mts', '.cts', '.js', '.mjs', '.cjs'],
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts', '.mts', '.cts'] },
      'import-x/resolver-next': [createTypeScriptImportResolver({ project: `${root}/tsconfig.json` })],
    },
    rules: {
      'import-x/no-restricted-paths': ['error', { basePath: root, zones }],
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
    },
  },
  {
    files: ['{src,scripts,test,simulator}/**/*.{ts,mts,cts}'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: root } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
    },
  },
  {
    // The service's workflows, and the workflow files the pipeline tests and benchmarks bundle into their workers.
    files: ['src/workflows/**', 'test/fixtures/pipeline-workflows.ts', 'scripts/bench/pipeline-workflows.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '^(?!\\.\\.?(/|$)|@temporalio/(workflow|common)(/|$))',
              message:
                "Workflow code runs in Temporal's sandbox: of packages it may import only @temporalio/workflow and @temporalio/common (no Node builtins, no other packages).",
            },
            {
              regex: '(^|/)activities(/|$)',
              allowTypeImports: true,
              message:
                'Workflows import activities as types only (`import type`), and call them through proxyActivities.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['src/contracts/**'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            { regex: NODE_BUILTINS, message: 'src/contracts must not import Node builtins.' },
            { regex: '^@aws-sdk/', message: 'src/contracts must not import the AWS SDK.' },
            { regex: '^pg(-[^/]*)?(/|$)', message: 'src/contracts must not import pg.' },
          ],
        },
      ],
    },
  },
);
