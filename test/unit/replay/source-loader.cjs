/**
 * A webpack loader for test-only workflow bundles: the module's source becomes the `source` option
 * (the real file edited by the test, see variant-bundle.ts). Runs before the SDK's own TypeScript loader.
 */
module.exports = function replaceSource() {
  return this.getOptions().source;
};
