// `npm run -s token -- --role customer --customer <id>` (or --role support, warehouse;
// --ttl <seconds>): prints a token a development gateway accepts: signed with AUTH_JWT_SECRET
// where exported (docker compose's), else with the secret npm start generated (dev-secrets.ts).
import { parseArgs } from 'node:util';
import type { ClientRole } from '../kit/auth/identity.ts';
import { clientSigning, devToken, readDevSecrets } from './dev-secrets.ts';

try {
  // Every value of an option is kept, so that one given twice is refused rather than the last taken.
  const { values } = parseArgs({ options: { role: { type: 'string', multiple: true }, customer: { type: 'string', multiple: true }, ttl: { type: 'string', multiple: true } } });
  const [role, ...moreRoles] = values.role ?? [];
  if (!role) throw new Error('usage: npm run -s token -- --role customer|support|warehouse [--customer <id>] [--ttl <seconds>]');
  if (moreRoles.length > 0) throw new Error("one --role per token: a customer's token names that role alone (the gateway refuses one beside a staff role), and staff roles are one token each here");
  for (const [name, given] of Object.entries({ customer: values.customer, ttl: values.ttl })) {
    if (given && given.length > 1) throw new Error(`--${name} given ${given.length} times: give it once`);
  }
  const signing = clientSigning(process.env, () => readDevSecrets().users);
  const token = await devToken(signing, { role: role as ClientRole, customerId: values.customer?.[0], ttlSeconds: values.ttl ? Number(values.ttl[0]) : undefined });
  process.stdout.write(`${token}\n`);
} catch (error) {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
}
