// `serve --tls-cert F --tls-key F`: the two files read and checked as a pair before the server is built, so
// a certificate or key that is not one, or a key that is not the certificate's, is bad input naming its
// flag (exit 2), where it was an internal error (exit 70) with only OpenSSL's words.
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { createSecureContext } from 'node:tls';
import { InvalidInputError, messageOf } from '../errors.js';
import { readInputFile } from '../files/input-files.js';
import { ACCESSIBLE_BY_OTHERS } from '../files/private-files.js';

export interface TlsFlags {
  tlsCert?: string;
  tlsKey?: string;
}

/** The certificate and key to serve HTTPS with, or undefined for plain HTTP. */
export async function httpsFrom({ tlsCert, tlsKey }: TlsFlags): Promise<{ cert: Buffer; key: Buffer } | undefined> {
  if (tlsCert === undefined && tlsKey === undefined) return undefined;
  if (tlsCert === undefined || tlsKey === undefined) throw new InvalidInputError(tlsCert === undefined ? '--tls-key' : '--tls-cert', 'needs --tls-cert and --tls-key together');
  const cert = await readInputFile(tlsCert, 'tlsFile', '--tls-cert');
  const key = await readInputFile(tlsKey, 'tlsFile', '--tls-key');
  checked(() => new X509Certificate(cert), '--tls-cert', `${tlsCert} is not a PEM certificate`);
  checked(() => createPrivateKey(key), '--tls-key', `${tlsKey} is not an unencrypted PEM private key`);
  checked(() => createSecureContext({ cert, key }), '--tls-key', `${tlsKey} is not the key of ${tlsCert}`);
  await warnIfShared(tlsKey);
  return { cert, key };
}

/** A key others may read is served with, but said once at start: refusing it would refuse Kubernetes, which
 *  mounts a secret 0644 unless told otherwise (defaultMode), and where the pod's user is the only one anyway. */
async function warnIfShared(tlsKey: string): Promise<void> {
  const { mode } = await stat(tlsKey);
  if ((mode & ACCESSIBLE_BY_OTHERS) === 0) return;
  const octal = (mode & 0o777).toString(8).padStart(4, '0');
  process.emitWarning(`--tls-key ${tlsKey} has mode ${octal}: users other than its owner may read the server's private key (chmod 600 it, or defaultMode: 0400 for a Kubernetes secret)`, { code: 'WASM_RISK_TLS_KEY_SHARED' });
}

function checked(check: () => unknown, flag: string, problem: string): void {
  try {
    check();
  } catch (error) {
    throw new InvalidInputError(flag, `${problem} (${messageOf(error)})`);
  }
}
