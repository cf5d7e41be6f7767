// The HTTP floor of `make bench-service`: a bare fastify server on 127.0.0.1 that reads and parses each JSON
// body (fastify's own parser) and answers a small fixed JSON object, with no validation, engine, queue,
// metrics or logs: what a request costs on this machine before wasm-risk does anything with it. Prints
// `listening on http://127.0.0.1:PORT` to stderr, as `wasm-risk serve` does.
//
// Usage: node bench/http-floor-server.mjs   (bench/service.mjs starts it)
import Fastify from 'fastify';

const app = Fastify({ logger: false, bodyLimit: 16 * 2 ** 20 });
const answer = JSON.stringify({ method: 'parametric', levels: [{ confidence: 0.99, valueAtRisk: 1, expectedShortfall: 1 }], fallback: false });
app.post('/v1/:method', async (_request, reply) => reply.type('application/json').send(answer));
const address = await app.listen({ host: '127.0.0.1', port: 0 });
process.stderr.write(`listening on ${address}\n`);
process.once('SIGTERM', () => void app.close());
