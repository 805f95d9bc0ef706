import { readFileSync } from 'node:fs';
import { parse, type GraphQLError } from 'graphql';

// The files the gateway's settings name, read the one way both the gateway and the launcher
// (which checks them before starting anything) read them, with errors that say what is wrong.

/** The supergraph SUPERGRAPH_PATH names, or an error that says what is wrong with the file. */
export function readSupergraphFile(path: string): string {
  const sdl = readNamedFile('SUPERGRAPH_PATH', path, '; write it with npm run compose, or unset SUPERGRAPH_PATH to compose at start-up');
  try {
    parse(sdl);
  } catch (error) {
    throw new Error(`SUPERGRAPH_PATH: ${path} is not a GraphQL schema: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (!/specs\.apollo\.dev\/join\//.test(sdl)) throw new Error(`SUPERGRAPH_PATH: ${path} is not a supergraph (it links no join spec); write it with npm run compose`);
  return sdl;
}

/** The text of the file a setting names, or an error that says which setting and why not. */
function readNamedFile(setting: string, path: string, advice = ''): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new Error(`${setting}: cannot read ${path} (${fileErrorReason(error)})${advice}`);
  }
}

/** Why a file could not be read, in words: "no such file", "permission denied", "a directory". */
function fileErrorReason(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EACCES') return 'permission denied';
  if (code === 'EISDIR') return 'a directory, not a file';
  return error instanceof Error ? error.message : String(error);
}

/**
 * The manifest GATEWAY_TRUSTED_DOCUMENTS names: `{ "<id>": "<document>" }`, or the
 * `{ "operations": [{ "id", "body" }] }` that persisted-document tools write. A file that is
 * missing, not JSON, not a manifest, empty, or with a document that is not GraphQL is an error
 * that says so: the gateway would otherwise refuse every request, or every use of that document.
 * With `check` (what the gateway would refuse of a document: see trustedDocumentCheck in
 * gateway/limits.ts), a document it refuses is one too: a manifest written for another version
 * of the graph stops the gateway at start, not each client at its first use of that document.
 */
export function loadTrustedDocuments(path: string, check?: (document: string) => readonly GraphQLError[]): Map<string, string> {
  const problem = (what: string) => new Error(`GATEWAY_TRUSTED_DOCUMENTS: ${what}`);
  const text = readNamedFile('GATEWAY_TRUSTED_DOCUMENTS', path);
  let manifest: unknown;
  try {
    manifest = JSON.parse(text.replace(/^\uFEFF/, '')); // a byte-order mark some editors write
  } catch (error) {
    throw problem(`${path} is not JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
  const entries = manifestEntries(manifest);
  if (entries.length === 0 || entries.some(([id, body]) => typeof id !== 'string' || typeof body !== 'string' || !body.trim())) {
    throw problem(`${path} is not a manifest of trusted documents: expected { "<id>": "<document>", ... } or { "operations": [{ "id": ..., "body": ... }] } with at least one document`);
  }
  const invalid: string[] = [];
  for (const [id, body] of entries as (readonly [string, string])[]) {
    try {
      parse(body);
    } catch (error) {
      throw problem(`${path}: the document "${id}" is not GraphQL: ${error instanceof Error ? error.message : String(error)}`);
    }
    const [first] = check?.(body) ?? [];
    if (first) invalid.push(`"${id}": ${first.message}`);
  }
  if (invalid.length > 0) {
    const shown = invalid.slice(0, 3).map((line) => `\n  ${line}`).join('');
    const more = invalid.length > 3 ? `\n  and ${invalid.length - 3} more` : '';
    const count = invalid.length === 1 ? '1 of its documents would be refused' : `${invalid.length} of its documents would be refused`;
    throw problem(`${path}: ${count} (written for another version of the graph, or beyond the gateway's limits?):${shown}${more}`);
  }
  return new Map(entries as (readonly [string, string])[]);
}

/** A manifest's [id, document] pairs in either shape, unchecked; [] for anything else. */
function manifestEntries(manifest: unknown): (readonly [unknown, unknown])[] {
  if (!manifest || typeof manifest !== 'object' || Array.isArray(manifest)) return [];
  if ('operations' in manifest && Array.isArray(manifest.operations)) {
    return (manifest.operations as ({ id?: unknown; body?: unknown } | null)[]).map((op) => [op?.id, op?.body] as const);
  }
  return Object.entries(manifest);
}
