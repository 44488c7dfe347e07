// The unit tests make activities fail on purpose, and the worker reports each failed attempt at
// WARN with its stack: errors only, so the output shows what actually went wrong.
import { DefaultLogger, Runtime } from '@temporalio/worker';

Runtime.install({ logger: new DefaultLogger('ERROR') });
