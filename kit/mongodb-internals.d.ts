// The one driver internal the kit touches (kit/mongo-closed-writes.ts); typed there.
declare module 'mongodb/lib/cmap/connection.js' {
  export const Connection: { prototype: object };
}
