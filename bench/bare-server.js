// The bare Fastify anchor as a process of its own, run by plain node as `unitrain serve` runs its compiled
// code, so that it is loaded as Unitrain's server is (the same load generator in another process, the same
// connections): `GET /v1/me` answers BARE_ME_JSON (the same JSON as Unitrain's), `GET /v1/verify/:code`
// BARE_VERIFY_JSON with the code asked for (an answer of the same size as Unitrain's, from memory),
// `GET /health` readiness.
import process from 'node:process';
import Fastify from 'fastify';

const me = JSON.parse(process.env['BARE_ME_JSON'] ?? '{}');
const verification = JSON.parse(process.env['BARE_VERIFY_JSON'] ?? '{}');
const bare = Fastify();
bare.get('/v1/me', async () => me);
bare.get('/v1/verify/:code', async (request) => ({ ...verification, verification_code: /** @type {{ code: string }} */ (request.params).code }));
bare.get('/health', async () => ({ status: 'OK' }));
await bare.listen({ port: Number(process.env['PORT']), host: '127.0.0.1' });
process.on('SIGTERM', () => void bare.close());
