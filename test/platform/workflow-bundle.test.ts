/**
 * The prebuilt workflow bundle is never used stale: its stamp must match the sources beside it (every
 * file the workflows import). Compiled code (the image, `node dist/...`) refuses a missing or stale
 * bundle and names the command that builds it; source code run by tsx or Jest rebuilds it; where no
 * sources stand beside it (the image), the bundle its build stage wrote is used. Each case works on a
 * copy of the project's workflow sources in a directory of its own.
 */
import {
  appendFileSync,
  cpSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  bundleLocation,
  prebuiltWorkflowBundle,
  staleBundleReason,
  workflowSourceHash,
  type BundleLocation,
} from '../../src/platform/workflow-bundle';
import { FatalError } from '../../src/platform/main';

const root = path.resolve(__dirname, '../..');
let dir: string;
let at: BundleLocation;

/** A project with the real workflow sources and a bundle stamped as built from them. */
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'workflow-bundle-'));
  for (const folder of ['workflows', 'contracts']) {
    cpSync(path.join(root, 'src', folder), path.join(dir, 'src', folder), { recursive: true });
  }
  symlinkSync(path.join(root, 'node_modules'), path.join(dir, 'node_modules'));
  at = bundleLocation(dir);
  mkdirSync(path.dirname(at.bundlePath), { recursive: true });
  writeFileSync(at.bundlePath, '// built from the sources beside it\n');
  writeFileSync(at.stampPath, JSON.stringify({ sourceHash: workflowSourceHash(at) }));
});

afterEach(() => rmSync(dir, { recursive: true, force: true }));

const loadCompiled = () => prebuiltWorkflowBundle(undefined, { at, compiled: true });

it('loads a bundle built from the sources beside it', async () => {
  expect(staleBundleReason(at)).toBeUndefined();
  await expect(loadCompiled()).resolves.toEqual({ codePath: at.bundlePath });
});

it.each(['workflows/inventory-deduct.ts', 'contracts/sagas.ts'])(
  'refuses, in compiled code, a bundle older than a change to %s, naming the command that builds it',
  async (file) => {
    appendFileSync(path.join(dir, 'src', file), '\n// changed after the build\n');

    expect(staleBundleReason(at)).toMatch(/built from other sources/);
    const refusal = loadCompiled();
    await expect(refusal).rejects.toBeInstanceOf(FatalError);
    await expect(refusal).rejects.toThrow('run `npm run build`');
  },
);

it('refuses, in compiled code, to start without a bundle', async () => {
  rmSync(at.bundlePath);
  await expect(loadCompiled()).rejects.toThrow(`no workflow bundle at ${at.bundlePath}: run \`npm run build\``);
});

it('uses the bundle as built where no sources stand beside it (the image)', async () => {
  rmSync(path.join(dir, 'src'), { recursive: true });
  await expect(loadCompiled()).resolves.toEqual({ codePath: at.bundlePath });
});

it('rebuilds a stale bundle when running from source, stamped with the sources it was built from', async () => {
  appendFileSync(path.join(dir, 'src', 'workflows', 'smoke-check.ts'), '\n// changed after the build\n');

  await expect(prebuiltWorkflowBundle(undefined, { at, compiled: false })).resolves.toEqual({
    codePath: at.bundlePath,
  });

  expect(staleBundleReason(at)).toBeUndefined();
  expect(readFileSync(at.bundlePath, 'utf8')).toContain('changed after the build');
}, 120_000);
