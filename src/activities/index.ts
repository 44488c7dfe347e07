export { echo } from './smoke-check';
