// The one driver internal the kit touches, its wire connection (kit/mongo-closed-writes.ts and
// kit/mongo-command-hooks.ts patch two of its methods); typed where they are used.
declare module 'mongodb/lib/cmap/connection.js' {
  export const Connection: { prototype: object };
}
