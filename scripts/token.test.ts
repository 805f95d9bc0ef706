import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { GatewayAuth } from '../gateway/auth.ts';
import { InternalTokens } from '../kit/auth/tokens.ts';
import { DEV_AUDIENCE, DEV_ISSUER, ensureDevSecrets } from './dev-secrets.ts';
import { projectRoot } from './ferretdb.ts';

// `npm run token` must print what the gateway it is meant for accepts: docker compose's gateway
// checks the AUTH_JWT_SECRET (and issuer, audience) exported for it, npm start's the secret it
// generated, unless it was given one too.

const folder = mkdtempSync(join(tmpdir(), 'token-test-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

const run = promisify(execFile);
/** Runs scripts/token.ts as `npm run -s token` does, with only the environment given (and PATH). */
async function token(env: Record<string, string>, ...args: string[]): Promise<string> {
  const { stdout } = await run(process.execPath, ['--import', 'tsx', join(projectRoot, 'scripts/token.ts'), ...args], {
    cwd: projectRoot,
    env: { PATH: process.env.PATH ?? '', ...env },
  });
  return stdout.trim();
}

const internal = new InternalTokens('an internal secret of at least thirty-two characters');

describe('npm run token', () => {
  it('signs with an exported AUTH_JWT_SECRET, issuer and audience, which a gateway given them accepts', async () => {
    const exported = { AUTH_JWT_SECRET: 'the secret exported for docker compose, 32+ chars', AUTH_ISSUER: 'https://idp.example', AUTH_AUDIENCE: 'shop-api' };
    // No development secrets exist here: the exported secret is all it needs.
    const printed = await token({ ...exported, DEV_SECRETS_PATH: join(folder, 'absent.json') }, '--role', 'support');
    const gateway = new GatewayAuth({ secret: exported.AUTH_JWT_SECRET, issuer: exported.AUTH_ISSUER, audience: exported.AUTH_AUDIENCE }, internal);
    expect((await gateway.identify(`Bearer ${printed}`)).scopes).toContain('support');

    const generated = ensureDevSecrets(join(folder, 'dev-secrets.json'));
    const npmStarts = new GatewayAuth({ secret: generated.users, issuer: DEV_ISSUER, audience: DEV_AUDIENCE }, internal);
    await expect(npmStarts.identify(`Bearer ${printed}`)).rejects.toMatchObject({ extensions: { code: 'UNAUTHENTICATED' } });
  });

  it('signs with the generated development secret when none is exported', async () => {
    const path = join(folder, 'generated.json');
    const generated = ensureDevSecrets(path);
    const printed = await token({ DEV_SECRETS_PATH: path, AUTH_JWT_SECRET: '' }, '--role', 'customer', '--customer', '64b000000000000000000001');
    const gateway = new GatewayAuth({ secret: generated.users, issuer: DEV_ISSUER, audience: DEV_AUDIENCE }, internal);
    const identity = await gateway.identify(`Bearer ${printed}`);
    expect(identity.customerId).toBe('64b000000000000000000001');
  });

  it('refuses two roles, a customer id on a staff token, or a customer id that is none, rather than print another token than asked for', async () => {
    const path = join(folder, 'generated.json');
    ensureDevSecrets(path);
    const env = { DEV_SECRETS_PATH: path, AUTH_JWT_SECRET: '' };
    await expect(token(env, '--role', 'customer', '--role', 'warehouse', '--customer', '64b000000000000000000001')).rejects.toMatchObject({ stderr: expect.stringContaining('one --role per token') });
    await expect(token(env, '--role', 'warehouse', '--customer', '64b000000000000000000001')).rejects.toMatchObject({ stderr: expect.stringContaining("--customer is for a customer's token only") });
    await expect(token(env, '--role', 'customer', '--customer', '64b000000000000000000001', '--customer', '64b000000000000000000002')).rejects.toMatchObject({ stderr: expect.stringContaining('--customer given 2 times') });
    await expect(token(env, '--role', 'customer', '--customer', 'ada')).rejects.toMatchObject({ stderr: expect.stringContaining("--customer must be a customer's id") });
  });

  it('says where the secrets are missing when none is exported and npm start never ran', async () => {
    const missing = join(folder, 'never-started', 'dev-secrets.json');
    await expect(token({ DEV_SECRETS_PATH: missing }, '--role', 'support')).rejects.toMatchObject({ stderr: expect.stringContaining(`no development secrets at ${missing}`) });
  });
});
