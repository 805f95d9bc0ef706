// `npm run -s token -- --role customer --customer <id>` (or --role support, warehouse;
// --ttl <seconds>): prints a token a development gateway accepts: signed with AUTH_JWT_SECRET
// where exported (docker compose's), else with the secret npm start generated (dev-secrets.ts).
import { parseArgs } from 'node:util';
import type { ClientRole } from '../kit/auth/identity.ts';
import { clientSigning, devToken, readDevSecrets } from './dev-secrets.ts';

try {
  const { values } = parseArgs({ options: { role: { type: 'string' }, customer: { type: 'string' }, ttl: { type: 'string' } } });
  if (!values.role) throw new Error('usage: npm run -s token -- --role customer|support|warehouse [--customer <id>] [--ttl <seconds>]');
  const signing = clientSigning(process.env, () => readDevSecrets().users);
  const token = await devToken(signing, { role: values.role as ClientRole, customerId: values.customer, ttlSeconds: values.ttl ? Number(values.ttl) : undefined });
  process.stdout.write(`${token}\n`);
} catch (error) {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
}
