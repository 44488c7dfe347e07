// Tests talk to the real local stack that `npm test` brings up; its endpoints are in .data/stack.env.
import { loadStackEnv } from '../../scripts/stack/stack';

loadStackEnv();

// Every marketplace a test calls is a simulator on this machine, over plain http: the stack's (whose
// stack.env says so too, once written by this branch's stack:up) or a test file's own.
process.env.MARKETPLACE_ALLOW_HTTP ??= 'true';

// Roles built in-process log JSON straight to stdout, past Jest's console capture: warnings only,
// unless a run asks for more. Tests that assert on logs give their own logger.
process.env.LOG_LEVEL ??= 'warn';
