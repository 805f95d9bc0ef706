/**
 * The most connections a process's database client opens (kit/mongo.ts). The embedded FerretDB's
 * pool of PostgreSQL connections is sized from it and the number of processes
 * (scripts/ferretdb.ts, `postgresConnectionsFor`). Its own module: the launcher reads it without
 * loading the client's patches of the driver.
 */
export const MONGO_POOL_SIZE = 20;
