import { GraphQLError, Kind, type DocumentNode, type GraphQLSchema } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { Logger } from './logger.ts';
import { cutShortByStop, isDatabaseUnavailable } from './unavailable.ts';

// Every error code a client can see. Clients branch on `extensions.code`,
// so this list is part of the public interface: add, never rename.
export const ErrorCode = {
  BAD_USER_INPUT: 'BAD_USER_INPUT',
  NOT_FOUND: 'NOT_FOUND',
  CONFLICT: 'CONFLICT',
  PAYMENT_METHOD_EXPIRED: 'PAYMENT_METHOD_EXPIRED',
  DEPENDENCY_UNAVAILABLE: 'DEPENDENCY_UNAVAILABLE',
  UNAUTHENTICATED: 'UNAUTHENTICATED',
  FORBIDDEN: 'FORBIDDEN',
  RATE_LIMITED: 'RATE_LIMITED',
  QUERY_TOO_COMPLEX: 'QUERY_TOO_COMPLEX',
  REQUEST_TOO_LARGE: 'REQUEST_TOO_LARGE',
  REQUEST_TIMEOUT: 'REQUEST_TIMEOUT',
  UNTRUSTED_DOCUMENT: 'UNTRUSTED_DOCUMENT',
  /** Which of a document's operations to run cannot be told (none named so, or several and no name): Yoga's own code on HTTP. */
  OPERATION_RESOLUTION_FAILURE: 'OPERATION_RESOLUTION_FAILURE',
  TOO_MANY_SUBSCRIPTIONS: 'TOO_MANY_SUBSCRIPTIONS',
  SUBSCRIBER_TOO_SLOW: 'SUBSCRIBER_TOO_SLOW',
  CURSOR_EXPIRED: 'CURSOR_EXPIRED',
  INTERNAL_SERVER_ERROR: 'INTERNAL_SERVER_ERROR',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

const publicCodes = new Set<string>(Object.values(ErrorCode));

export function clientError(code: ErrorCode, message: string, details: Record<string, unknown> = {}) {
  return new GraphQLError(message, { extensions: { code, ...details } });
}

/**
 * Work that another call is doing on the same thing right now, or left half-done when it
 * died (a database outage, a killed process): the same request can succeed a little later.
 * It is marked like an unreachable dependency, so a worker waits for it without spending
 * an attempt (kit/unavailable.ts) rather than parking the element among the exceptions.
 */
export const tryLater = (message: string) => clientError(ErrorCode.DEPENDENCY_UNAVAILABLE, message, { unreachable: true });

export const badInput = (message: string, field?: string) =>
  clientError(ErrorCode.BAD_USER_INPUT, message, field ? { field } : {});

export const notFound = (message: string, details: Record<string, unknown> = {}) =>
  clientError(ErrorCode.NOT_FOUND, message, details);

/** Errors the client may see as they are; anything else is a bug or an outage and is masked. */
export function isClientError(error: unknown): error is GraphQLError {
  return error instanceof GraphQLError && publicCodes.has(String(error.extensions.code));
}

/**
 * Yoga's maskError hook: errors we raised on purpose pass through; graphql-js
 * parse/validation errors (no original error) pass through; a variable the request
 * gives a value of the wrong type is the client's mistake: a request error (400,
 * BAD_USER_INPUT); everything else is logged and replaced by INTERNAL_SERVER_ERROR,
 * with the cause only in development. Outside development nothing of the request
 * is echoed back (yoga quotes a malformed body in `extensions.originalError`).
 */
export function createMaskError(logger: Logger, isDev: boolean, passThrough: (error: GraphQLError) => boolean = () => false) {
  const mask = (error: unknown, message: string): Error => {
    // JSON that does not parse and reached here bare, not from inside a resolver (those come
    // wrapped with a path): a GET's `variables` or `extensions` (yoga parses them unguarded). A
    // request error as yoga answers a malformed POST body, not an internal one.
    if (error instanceof SyntaxError) return malformedRequest();
    if (!(error instanceof GraphQLError)) return internal(error, message, logger, isDev);
    if (passThrough(error)) return error;
    if (isVariableValueError(error)) return requestError(error);
    const original = error.originalError;
    if (!original) return error;
    if (isClientError(original)) return error;
    if (original instanceof GraphQLError && original.extensions.code && !(original as { originalError?: unknown }).originalError) {
      return error;
    }
    // A request still running when its process closed the client to stop: its database went away under it.
    if (isDatabaseUnavailable(original) || cutShortByStop()) return databaseUnavailable(original, logger, error);
    return internal(original, message, logger, isDev, error);
  };
  return (error: unknown, message: string): Error => {
    const masked = mask(error, message);
    return bounded(isDev ? masked : withoutEcho(masked));
  };
}

/** The longest error message a client gets: one that quotes what the client sent stays readable, and small. */
const MAX_ERROR_MESSAGE = 500;

/**
 * graphql-js's validation errors as answers a client can use:
 * - bounded: they quote the document (`Cannot query field "…"`) and never reach maskError (Yoga
 *   answers with them as they are), so they are cut as they are made;
 * - returned, never thrown: a rule that throws (graphql-js 16's single-field rule for
 *   subscriptions, on `@skip(if: $variable)` at the root, since it has no variables while
 *   validating) went out as an error without a code, and over a WebSocket closed the
 *   connection with every subscription on it;
 * - complete: an operation of a type the schema has no root for (a subscription, at a service
 *   that has none) is a validation error, where graphql-js passes it and execution answered with
 *   an error without a code.
 */
export function useValidationErrors(): Plugin {
  return {
    onValidate: ({ validateFn, setValidationFn }) => {
      setValidationFn((...args) => {
        try {
          const errors = validateFn(...args);
          const unserved = unservedOperations(args[0], args[1]);
          return unserved.length > 0 ? [...errors, ...unserved] : errors;
        } catch (error) {
          if (!(error instanceof GraphQLError)) throw error;
          // The one rule known to throw: say what the client can do about it.
          if (!/which was not provided a runtime value\.$/.test(error.message)) return [error];
          return [copyOf(error, { message: "A subscription's root field cannot be selected with @skip or @include on a variable (its single field is checked before variables are known): leave the directive out." })];
        }
      });
      return ({ result, setResult }) => {
        if (result.some((error) => error.message.length > MAX_ERROR_MESSAGE)) setResult(result.map(bounded));
      };
    },
  };
}

/** The document's operations of a type `schema` has no root type for (a subscription where there are none). */
function unservedOperations(schema: GraphQLSchema, document: DocumentNode): GraphQLError[] {
  return document.definitions.flatMap((definition) =>
    definition.kind === Kind.OPERATION_DEFINITION && !schema.getRootType(definition.operation)
      ? [new GraphQLError(`This service answers no ${definition.operation}s: its schema has no ${definition.operation} type.`, { nodes: [definition], extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } })]
      : [],
  );
}

/**
 * A request that names no document (`{}`, `{"variables": {...}}`, a GET without `query`) is not a
 * GraphQL request: 400 and BAD_REQUEST whatever the client accepts, as for a `query` that is not a
 * string. Yoga answers it with 200 to a client that accepts application/json, and a client that
 * goes by the status reads that as an answer. A trusted document's id (extensions.persistedQuery)
 * is not a document: where the gateway runs trusted documents, their check runs first and puts
 * the document in `query`; anywhere else such a request names none.
 */
export function useDocumentRequired(): Plugin {
  return {
    onParams({ params }) {
      if (params.query == null) {
        throw new GraphQLError('Must provide query string: send {"query": "...", "variables": {...}}.', { extensions: { code: 'BAD_REQUEST', http: { status: 400 } } });
      }
    },
  };
}

/**
 * Yoga answers a result it cannot send in a form the request's Accept header takes (a
 * subscription asked for as JSON) with 406 and no body: this says why and what to ask for, as
 * every other refusal does, with JSON errors and a code. Its `accept` header stays.
 */
export function useNotAcceptableExplained(): Plugin {
  return {
    onResponse({ response, setResponse, fetchAPI }) {
      if (response.status !== 406 || response.body !== null) return;
      const accepted = response.headers.get('accept') ?? '';
      const message = accepted.includes('text/event-stream')
        ? 'This operation is a subscription: ask for its events as server-sent events (Accept: text/event-stream), or subscribe over a WebSocket (the graphql-transport-ws protocol) at this address.'
        : `The answer cannot be sent in any form the Accept header takes; accept one of: ${accepted.replace(/; charset=utf-8/g, '')}.`;
      const body = JSON.stringify({ errors: [{ message, extensions: { code: 'BAD_REQUEST' } }] });
      setResponse(new fetchAPI.Response(body, { status: 406, statusText: 'Not Acceptable', headers: { 'content-type': 'application/json; charset=utf-8', accept: accepted } }));
    },
  };
}

/**
 * Messages that quote input (`…; none is named …`, a field name graphql-js did not find) are cut to
 * MAX_ERROR_MESSAGE characters: a 99 KB argument is not sent back whole. Every error a client
 * gets passes here: at the mask, at validation, and what a WebSocket answers (kit/websocket.ts).
 */
export function bounded<E extends Error>(error: E): E | GraphQLError {
  if (!(error instanceof GraphQLError) || error.message.length <= MAX_ERROR_MESSAGE) return error;
  let end = MAX_ERROR_MESSAGE - 1;
  if (/[\uD800-\uDBFF]/.test(error.message[end - 1]!)) end--; // never half a character
  return copyOf(error, { message: `${error.message.slice(0, end)}…` });
}

/** A copy of `error` with another message or other extensions, keeping where it was and what caused it (yoga caches the original). */
export function copyOf(error: GraphQLError, changes: { message?: string; extensions?: GraphQLError['extensions'] }): GraphQLError {
  const { nodes, source, positions, path, originalError } = error;
  return new GraphQLError(changes.message ?? error.message, { nodes, source, positions, path, originalError, extensions: changes.extensions ?? error.extensions });
}

/**
 * graphql-js refusing a variable's value (coercing `1.5` to Int, a missing non-null
 * variable): raised before execution, so it has no path, and always worded this way.
 */
export function isVariableValueError(error: GraphQLError): boolean {
  return !error.path && /^Variable "\$[_A-Za-z][_0-9A-Za-z]*" /.test(error.message);
}

function malformedRequest(): GraphQLError {
  return new GraphQLError('The request is malformed: a parameter that should be JSON (variables, extensions) does not parse.', {
    extensions: { code: 'BAD_REQUEST', http: { status: 400 } },
  });
}

/** A request error as the GraphQL-over-HTTP spec has it: 400 for application/graphql-response+json, no data. */
function requestError(error: GraphQLError): GraphQLError {
  return new GraphQLError(withoutValue(error), {
    nodes: error.nodes,
    extensions: { code: ErrorCode.BAD_USER_INPUT, http: { spec: true, status: 400 } },
  });
}

/**
 * graphql-js quotes the refused value in its message (`got invalid value { cardNumber: "5105…",
 * cvv: "123" }`), and its reasons can too (`Value "4111…" does not exist in "ShippingMethod"
 * enum`, `String cannot represent a non string value: 4111…`, an unknown field's name): a card
 * number sent with one field too many, or in the wrong field, would be echoed back. So the
 * message is rebuilt from what the schema says: the variable, where in it the value went wrong,
 * and why, in words that name only the schema's types.
 */
function withoutValue(error: GraphQLError): string {
  const variable = /^Variable "\$([_A-Za-z][_0-9A-Za-z]*)" got invalid value /.exec(error.message);
  if (!variable) return error.message; // the other variable errors name only the variable and its type
  const reason = error.originalError?.message;
  const prefix = reason && error.message.endsWith(`; ${reason}`) ? error.message.slice(0, -(reason.length + 2)) : '';
  // The path ends the prefix, after the quoted value: inside a quoted string a quote is escaped, so a value cannot fake it.
  const path = new RegExp(` at "(${variable[1]}(?:\\.[_A-Za-z][_0-9A-Za-z]*|\\[\\d{1,6}\\])*)"$`).exec(prefix)?.[1];
  return `Variable "$${variable[1]}" got an invalid value${path ? ` at "${path}"` : ''}; ${reason ? schemaReason(reason) : 'It does not match its type.'}`;
}

/** A name as the schema spells it (a type, a field): never a value the client sent. */
const schemaName = '[_A-Za-z][_0-9A-Za-z]{0,99}';
const reasons = {
  unknownField: new RegExp(`^Field "(.*)" is not defined by type "(${schemaName})"\\.`),
  required: new RegExp(`^Field "${schemaName}" of required type "[_A-Za-z0-9!\\[\\]]{1,200}" was not provided\\.$`),
  notObject: new RegExp(`^Expected type "${schemaName}" to be an object\\.`),
  notEnum: new RegExp(`does not exist in "(${schemaName})" enum\\.`),
  scalar: new RegExp(`^(?:Expected type "${schemaName}"\\. )?((?:Enum "${schemaName}"|${schemaName}) cannot represent [-\\w ]*?value)`),
  expected: new RegExp(`^Expected type "(${schemaName})"`),
};

/** graphql-js's reason for refusing an input value, keeping only names from the schema. */
function schemaReason(reason: string): string {
  const unknownField = reasons.unknownField.exec(reason);
  if (unknownField) {
    // The client's own key: named only when it is plainly a word.
    return /^[_A-Za-z]{1,30}$/.test(unknownField[1]!) ? `Field "${unknownField[1]}" is not defined by type "${unknownField[2]}".` : `A field is not defined by type "${unknownField[2]}".`;
  }
  const whole = reasons.required.exec(reason) ?? reasons.notObject.exec(reason);
  if (whole) return whole[0];
  const notEnum = reasons.notEnum.exec(reason);
  if (notEnum) return `Not a value of enum "${notEnum[1]}".`;
  const scalar = reasons.scalar.exec(reason);
  if (scalar) return `${scalar[1]}.`;
  const expected = reasons.expected.exec(reason);
  if (expected) return `Expected type "${expected[1]}".`;
  return 'It does not match its type.';
}

function withoutEcho(error: Error): Error {
  if (!(error instanceof GraphQLError) || !('originalError' in error.extensions)) return error;
  const { originalError: _echo, ...extensions } = error.extensions;
  return new GraphQLError(error.message, { nodes: error.nodes, path: error.path, originalError: error.originalError, extensions });
}

/**
 * The service's own database could not be reached (restarting, say): the client, or the
 * worker that called, should try again, and knows it from the code.
 */
function databaseUnavailable(cause: Error, logger: Logger, located: GraphQLError) {
  if (cutShortByStop()) logger.debug('database closed: the process is stopping', { error: cause.message, path: located.path });
  else logger.warn('database unavailable', { error: cause.message, path: located.path });
  return new GraphQLError('The database is unavailable; try again.', {
    nodes: located.nodes,
    path: located.path,
    extensions: { code: ErrorCode.DEPENDENCY_UNAVAILABLE, service: 'database', unreachable: true },
  });
}

function internal(cause: unknown, message: string, logger: Logger, isDev: boolean, located?: GraphQLError) {
  logger.error('unexpected error', { error: cause instanceof Error ? cause : String(cause), path: located?.path });
  return new GraphQLError(message, {
    nodes: located?.nodes,
    path: located?.path,
    extensions: {
      code: ErrorCode.INTERNAL_SERVER_ERROR,
      ...(isDev && cause instanceof Error ? { cause: cause.message } : {}),
    },
  });
}
