// Which methods each route answers, gathered as fastify registers the routes (its onRoute hook): a request
// for a route with another method is a 405 naming them in `Allow` (RFC 9110 15.5.6), not a 404 saying the
// route does not exist, and OPTIONS is answered with them.
import type { FastifyInstance } from 'fastify';
import { MethodNotAllowedError, NotFoundError } from '../errors.js';
import { echoed } from '../report/echoed-input.js';

export class AllowedMethods {
  private readonly byPath = new Map<string, Set<string>>();

  /** Records every route registered on `app` from now on (HEAD included: fastify adds one per GET). */
  constructor(app: FastifyInstance) {
    app.addHook('onRoute', ({ url, method }) => {
      const methods = this.byPath.get(url) ?? new Set<string>();
      for (const one of Array.isArray(method) ? method : [method]) methods.add(one);
      this.byPath.set(url, methods);
    });
  }

  /** The `Allow` header of `path` (OPTIONS included), or undefined for a path no route has. */
  private allowHeader(path: string): string | undefined {
    const methods = this.byPath.get(path);
    return methods === undefined ? undefined : [...methods, 'OPTIONS'].sort().join(', ');
  }

  /** Why no route answers `method` on `path`: a 404 for a path no route has, else a 405 and the `Allow` it
   *  sends. The path is the caller's text (up to Node's 16 KiB of headers): quoted bounded, as all echoed input is. */
  noRoute(method: string, path: string): { allow: string | undefined; error: NotFoundError | MethodNotAllowedError } {
    const allow = this.allowHeader(path);
    if (allow === undefined) return { allow, error: new NotFoundError(`no route ${method} ${echoed(path)}`) };
    return { allow, error: new MethodNotAllowedError(`${path} answers ${allow}, not ${method}`) };
  }
}
