// A service on @lifeline/health: /healthcheck, /livez and /readyz on its own
// port, PostgreSQL and Redis checked in the background, and a shutdown that
// drops no request. Run it from the repository root:
//   node --import tsx examples/express-service.ts
import { createHealth, httpCheck, postgresCheck, redisCheck } from '@lifeline/health';
import express from 'express';
import pg from 'pg';
import { createClient } from 'redis';

const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test' });
const redis = createClient({ url: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379' });
redis.on('error', (error) => console.error('redis:', error.message));
await redis.connect();

const health = createHealth({
  serviceId: 'orders',
  version: '1.0.0',
  checks: {
    postgres: postgresCheck(pool),
    redis: redisCheck(redis),
    // Non-critical: when billing is down this service still takes traffic, and reports "warn".
    billing: httpCheck(process.env.BILLING_URL ?? 'http://billing:8080/readyz', { critical: false }),
  },
});

const app = express();
app.use(health.express());
app.get('/orders/count', async (_req, res) => {
  const { rows } = await pool.query('SELECT 42 AS count');
  res.json(rows[0]);
});

const server = app.listen(Number(process.env.PORT ?? 3000), () => console.log('listening'));
health.attach(server, {
  shutdownDelay: Number(process.env.SHUTDOWN_DELAY_MS ?? 5000),
  onShutdown: [() => pool.end(), () => redis.close()],
});
