/**
 * `npm run build` (after tsc) and the image's build stage: bundles the workflows once into
 * dist/workflow-bundle.js, with the stamp of the sources it was built from (src/platform/workflow-bundle.ts).
 */
import { buildWorkflowBundle } from '../platform/workflow-bundle';
import { runMain } from '../platform/main';

if (require.main === module) {
  runMain(async () => {
    const written = await buildWorkflowBundle();
    console.log(`workflow bundle written to ${written}`);
  });
}
