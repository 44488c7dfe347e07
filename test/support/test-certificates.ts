/** A throwaway CA and a server certificate it signed (for 127.0.0.1 and localhost), made with openssl. */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';

export interface CertificateFiles {
  caCert: string;
  serverCert: string;
  serverKey: string;
}

const openssl = (dir: string, args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });

/** Files are named after `name`, in `dir`. */
export function makeCertificates(dir: string, name: string): CertificateFiles {
  const file = (suffix: string) => path.join(dir, `${name}-${suffix}`);
  const files = { caCert: file('ca.pem'), serverCert: file('server.pem'), serverKey: file('server.key') };
  openssl(dir, [
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-days',
    '1',
    '-subj',
    `/CN=${name} test CA`,
    '-keyout',
    file('ca.key'),
    '-out',
    files.caCert,
  ]);
  openssl(dir, [
    'req',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-subj',
    '/CN=localhost',
    '-keyout',
    files.serverKey,
    '-out',
    file('server.csr'),
  ]);
  writeFileSync(file('san.cnf'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  openssl(dir, [
    'x509',
    '-req',
    '-days',
    '1',
    '-in',
    file('server.csr'),
    '-CA',
    files.caCert,
    '-CAkey',
    file('ca.key'),
    '-CAcreateserial',
    '-extfile',
    file('san.cnf'),
    '-out',
    files.serverCert,
  ]);
  return files;
}

/** redis-server settings for a TLS-only server (or sentinel) on `port`, clients not asked for certificates. */
export const tlsOnlyArgs = (port: number, files: CertificateFiles): string[] => [
  '--port',
  '0',
  '--tls-port',
  String(port),
  '--tls-cert-file',
  files.serverCert,
  '--tls-key-file',
  files.serverKey,
  '--tls-ca-cert-file',
  files.caCert,
  '--tls-auth-clients',
  'no',
];
