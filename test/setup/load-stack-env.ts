// Tests talk to the real local stack that `npm test` brings up; its endpoints are in .data/stack.env.
import { loadStackEnv } from '../../scripts/stack/stack';

loadStackEnv();
