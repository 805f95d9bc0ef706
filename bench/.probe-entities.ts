// Temporary probe (not committed): where an _entities fetch to catalog spends its time.
import { MongoClient } from 'mongodb';
import { readDevSecrets, devSecretsPath } from '../scripts/dev-secrets.ts';
import { InternalTokens, serviceCredentials } from '../kit/auth/tokens.ts';

const dataDir = process.argv[2]!;
const mongoUri = process.argv[3]!;
const secrets = readDevSecrets(devSecretsPath({ FERRETDB_DATA_DIR: dataDir }));
const auth = await serviceCredentials('bench', new InternalTokens(secrets.internal)).authorization();
const url = 'http://127.0.0.1:4002/graphql';
async function time(label: string, fn: () => Promise<unknown>, n = 200) {
  const l: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await fn();
    if (i >= 20) l.push(performance.now() - t);
  }
  l.sort((a, b) => a - b);
  console.log(label.padEnd(40), 'p50', l[Math.floor(l.length / 2)]!.toFixed(2), 'p90', l[Math.floor(l.length * 0.9)]!.toFixed(2));
}
const post = (query: string, variables = {}) => fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: auth }, body: JSON.stringify({ query, variables }) }).then((r) => r.json());
await time('GET /health', () => fetch('http://127.0.0.1:4002/health').then((r) => r.text()));
await time('{ __typename } with auth', () => post('{ __typename }'));
await time('_entities 3 products', () => post('query($r: [_Any!]!) { _entities(representations: $r) { ... on Product { title price { amount currency } vendor { id } } } }', { r: ['BOOK-001', 'MUG-001', 'LAMP-001'].map((sku) => ({ __typename: 'Product', sku })) }));
const client = await new MongoClient(mongoUri).connect();
const products = client.db('catalog').collection('products');
await time('mongo find $in 3 ids', () => products.find({ _id: { $in: ['BOOK-001', 'MUG-001', 'LAMP-001'] } as never }).toArray());
await time('mongo findOne _id', () => products.findOne({ _id: 'BOOK-001' as never }));
console.log('products:', await products.countDocuments());
await client.close();
