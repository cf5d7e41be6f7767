// `serve --tls-cert F --tls-key F`: the two files read and checked as a pair before the server is built, so
// a certificate or key that is not one, or a key that is not the certificate's, is bad input naming its
// flag (exit 2), where it was an internal error (exit 70) with only OpenSSL's words.
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { createSecureContext } from 'node:tls';
import { InvalidInputError, messageOf } from '../errors.js';
import { readInputFile } from '../files/input-files.js';

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
  return { cert, key };
}

function checked(check: () => unknown, flag: string, problem: string): void {
  try {
    check();
  } catch (error) {
    throw new InvalidInputError(flag, `${problem} (${messageOf(error)})`);
  }
}
