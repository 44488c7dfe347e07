// Starts fauxqs through its library API: its `fauxqs` command ignores FAUXQS_DATA_DIR (no
// persistence) and its server entry point always logs every request.
import { startFauxqs } from 'fauxqs';

const server = await startFauxqs({
  port: Number(process.env.FAUXQS_PORT),
  host: process.env.FAUXQS_HOST,
  defaultRegion: process.env.FAUXQS_DEFAULT_REGION,
  dataDir: process.env.FAUXQS_DATA_DIR,
  logger: false,
});
console.log(`fauxqs listening on ${server.address}, state in ${process.env.FAUXQS_DATA_DIR}`);
for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => server.stop().then(() => process.exit(0)));
}
