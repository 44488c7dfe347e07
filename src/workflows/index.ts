export { smokeCheckWorkflow } from './smoke-check';
