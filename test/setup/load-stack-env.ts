// Tests talk to the real local stack that `npm test` brings up; its endpoints are in .data/stack.env.
import { loadStackEnv } from '../../scripts/stack/stack';

loadStackEnv();

// Roles built in-process log JSON straight to stdout, past Jest's console capture: warnings only,
// unless a run asks for more. Tests that assert on logs give their own logger.
process.env.LOG_LEVEL ??= 'warn';
