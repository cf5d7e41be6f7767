// The admin API (`--admin-token-file`): list, register, shadow, swap and roll back versions over HTTP, each
// call authenticated by a bearer token whose actor name goes into the registry's audit log. Without a token
// file the routes do not exist (404). Registration is confined to `--components-dir`.
import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { MAX_ESCAPED_INFO_LENGTH } from '../contract/checked-results.js';
import { InvalidInputError, messageOf, PathNotAllowedError, ServiceUnavailableError, UnauthorizedError } from '../errors.js';
import type { ComponentBytes } from '../load/component-format.js';
import { readCandidate } from './candidate-file.js';
import { registeredResponses, servingResponses, shadowResponses } from './response-schemas.js';
import { headerValues } from './raw-headers.js';
import { constantTimeEqual } from '../files/content-hash.js';
import { utf8Problem } from '../files/json-file.js';
import { MAX_PATH_SHOWN, shortened } from '../report/echoed-input.js';
import { ACCESSIBLE_BY_OTHERS, NotPrivateError, readPrivateFile } from '../files/private-files.js';

/** A token file names a few actors: anything larger is not one. */
const MAX_TOKEN_FILE_BYTES = 64 * 1024;
import { AUTO_ROLLBACK_ACTOR, type RegistryBackend } from './registry-backend.js';

/** Shortest token accepted: 32 characters (e.g. `openssl rand -hex 16`), too many to guess. */
export const MIN_TOKEN_LENGTH = 32;

/** What a token may be made of: letters, digits and ASCII punctuation. */
const VISIBLE_ASCII = /^[\x21-\x7e]+$/;

/** An actor name as the audit log shows it. */
const ACTOR_NAME = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/;

/** The tokens of a token file, kept only as SHA-256 digests, each with its actor. */
export interface AdminTokens {
  digests: { actor: string; digest: Buffer }[];
}

/**
 * Reads `--admin-token-file`: one `actor:token` per line (blank lines and `#` comments ignored), a token of
 * at least 32 visible ASCII characters, no token twice, the file UTF-8. The file must be this user's and unreadable by
 * group and others, like the audit key.
 */
export async function readAdminTokens(file: string): Promise<AdminTokens> {
  const flag = '--admin-token-file';
  let bytes: Buffer;
  try {
    bytes = await readPrivateFile(file, ACCESSIBLE_BY_OTHERS, MAX_TOKEN_FILE_BYTES);
  } catch (error) {
    // chmod helps only a file whose mode lets others in; a directory, a link or another user's file it does not fix.
    if (error instanceof NotPrivateError) throw new InvalidInputError(flag, `${error.message}${error.reason === 'mode' ? ' (chmod 600 it)' : ''}`);
    throw new InvalidInputError(flag, `cannot read ${file}: ${messageOf(error)}`);
  }
  // Decoded, every bad byte would read as U+FFFD: two tokens differing there would be one.
  const notText = utf8Problem(bytes);
  if (notText !== undefined) throw new InvalidInputError(flag, `${file} is ${notText}`);
  const text = bytes.toString('utf8');
  const digests: AdminTokens['digests'] = [];
  for (const [index, rawLine] of text.split('\n').entries()) {
    const line = rawLine.trim();
    if (line === '' || line.startsWith('#')) continue;
    const where = `line ${index + 1} of ${file}`;
    const colon = line.indexOf(':');
    const actor = line.slice(0, Math.max(colon, 0));
    const token = line.slice(colon + 1);
    if (colon < 0 || !ACTOR_NAME.test(actor)) throw new InvalidInputError(flag, `${where}: expected actor:token, the actor a name of letters, digits, '.', '_', '@' or '-'`);
    if (actor === AUTO_ROLLBACK_ACTOR) throw new InvalidInputError(flag, `${where}: the actor name ${AUTO_ROLLBACK_ACTOR} is the server's own`);
    // A client cannot send anything else: an HTTP header's bytes are read as Latin-1, the file as UTF-8.
    if (token.length < MIN_TOKEN_LENGTH || !VISIBLE_ASCII.test(token)) {
      throw new InvalidInputError(flag, `${where}: the token must be at least ${MIN_TOKEN_LENGTH} characters, visible ASCII without spaces`);
    }
    const digest = sha256(token);
    if (digests.some((known) => known.digest.equals(digest))) throw new InvalidInputError(flag, `${where}: the same token is given twice`);
    digests.push({ actor, digest });
  }
  if (digests.length === 0) throw new InvalidInputError(flag, `${file} names no token`);
  return { digests };
}

/** The actor whose token the request's one Authorization header carries, or UnauthorizedError. Equal-length
 *  digests compared in constant time, every token compared, so the time taken says nothing about any of them.
 *  Two Authorization headers are refused: Node keeps the first, a proxy in front may act on the last. */
export function authenticate(tokens: AdminTokens, authorization: readonly string[]): string {
  if (authorization.length > 1) throw new UnauthorizedError('the admin API takes one Authorization header, not several');
  const match = /^Bearer ([^\s]+)$/i.exec(authorization[0] ?? '');
  if (!match) throw new UnauthorizedError('the admin API needs an Authorization: Bearer <token> header');
  const presented = sha256(match[1]!);
  let actor: string | undefined;
  for (const known of tokens.digests) {
    if (constantTimeEqual(presented, known.digest)) actor ??= known.actor;
  }
  if (actor === undefined) throw new UnauthorizedError('the bearer token is not one of --admin-token-file');
  return actor;
}

export interface AdminApiOptions {
  backend: RegistryBackend;
  /** A fixed set of tokens, or how to read them at each request (`serve`: the token file, so that a token
   *  taken out of it is refused from the next request on, not from the next restart). */
  tokens: AdminTokens | (() => Promise<AdminTokens>);
  /** The only directory candidates are registered from; without it, registration is refused. */
  componentsDir?: string;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Who an admin request acts for (its token's actor). */
    adminActor: string;
  }
}

const versionBody = {
  type: 'object',
  properties: { version: { type: 'string', minLength: 1, maxLength: MAX_ESCAPED_INFO_LENGTH } },
  required: ['version'],
  additionalProperties: false,
} as const;

const pathBody = {
  type: 'object',
  properties: { path: { type: 'string', minLength: 1, maxLength: 4096, description: 'a .wasm file in --components-dir (relative to it, or absolute)' } },
  required: ['path'],
  additionalProperties: false,
} as const;

/** Adds the admin routes under /admin, behind the bearer token. */
export function registerAdminRoutes(app: FastifyInstance, options: AdminApiOptions): void {
  const { backend, tokens, componentsDir } = options;
  void app.register(async (admin) => {
    admin.decorateRequest('adminActor', '');
    // The response schemas document the answers (/openapi.json); they are sent as JSON.stringify writes them,
    // not through a serializer compiled from those schemas, which would drop what a schema does not name.
    admin.setSerializerCompiler(() => (data) => JSON.stringify(data));
    admin.addHook('onRequest', async (request, reply) => {
      const current = await currentTokens(tokens).catch((error: unknown) => {
        // Nobody is let in on tokens that cannot be read: a file emptied, removed or broken revokes them all.
        request.log.error({ requestId: request.id, error: messageOf(error) }, 'admin request refused: the token file cannot be used');
        throw new ServiceUnavailableError('the admin API cannot read its token file now (the server log says why)');
      });
      try {
        request.adminActor = authenticate(current, headerValues(request.raw.rawHeaders, 'authorization'));
      } catch (error) {
        request.log.warn({ requestId: request.id, url: shortened(request.url, MAX_PATH_SHOWN), remoteAddress: request.ip }, 'admin request refused: no valid token');
        void reply.header('www-authenticate', 'Bearer realm="wasm-risk admin"');
        throw error;
      }
    });
    const logged = (request: FastifyRequest, action: string, details: Record<string, unknown> = {}) =>
      request.log.info({ requestId: request.id, actor: request.adminActor, action, ...details }, 'admin action');
    const serving = () => ({ serving: backend.version ?? null, versions: backend.list() });
    const security = [{ bearer: [] }];

    admin.get('/admin/versions', { schema: { summary: 'the registered versions and which one serves', security, response: servingResponses() } }, async () => serving());

    admin.post('/admin/versions', { schema: { summary: 'register a candidate from --components-dir (audit, contract and golden-vector gates)', body: pathBody, security, response: registeredResponses() } }, async (request, reply) => {
      const { path } = request.body as { path: string };
      let candidate: ComponentBytes;
      try {
        if (componentsDir === undefined) throw new PathNotAllowedError('registration needs --components-dir');
        candidate = await readCandidate(componentsDir, path);
      } catch (error) {
        // Refused before the registry saw it: in the audit log as its gates' refusals are, under who asked.
        await backend.recordRefusal(path, error, request.adminActor);
        throw error;
      }
      const registered = await backend.register(candidate, request.adminActor);
      logged(request, 'register', { version: registered.version });
      return reply.code(201).send(registered);
    });

    admin.post('/admin/shadow', { schema: { summary: 'run a version beside the serving one on live requests, comparing', body: versionBody, security, response: shadowResponses() } }, async (request) => {
      const { version } = request.body as { version: string };
      const report = await backend.startShadow(version, request.adminActor);
      logged(request, 'shadow-start', { version });
      return report;
    });

    admin.delete('/admin/shadow', { schema: { summary: 'stop shadowing; the report of what shadow mode saw', security, response: shadowResponses() } }, async (request) => {
      const report = await backend.stopShadow(request.adminActor);
      logged(request, 'shadow-stop', { version: report.candidate?.version ?? null });
      return report;
    });

    admin.post('/admin/swap', { schema: { summary: 'make a registered version serve (logged before it takes effect)', body: versionBody, security, response: servingResponses() } }, async (request) => {
      const { version } = request.body as { version: string };
      await backend.swap(version, request.adminActor);
      logged(request, 'swap', { version });
      return serving();
    });

    admin.post('/admin/rollback', { schema: { summary: 'go back to the version that served before the last swap', security, response: servingResponses() } }, async (request) => {
      await backend.rollback(request.adminActor);
      logged(request, 'rollback', { version: backend.version });
      return serving();
    });
  });
}

function currentTokens(tokens: AdminApiOptions['tokens']): Promise<AdminTokens> {
  return typeof tokens === 'function' ? tokens() : Promise.resolve(tokens);
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}
