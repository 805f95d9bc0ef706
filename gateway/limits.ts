import type { IncomingMessage } from 'node:http';
import { maxAliasesRule } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthRule } from '@escape.tech/graphql-armor-max-depth';
import { maxDirectivesRule } from '@escape.tech/graphql-armor-max-directives';
import { MaxTokensParserWLexer } from '@escape.tech/graphql-armor-max-tokens';
import {
  GraphQLError,
  specifiedRules,
  validate,
  type ASTVisitor,
  type ConstListValueNode,
  type ConstObjectValueNode,
  type DocumentNode,
  type ExecutionArgs,
  type GraphQLSchema,
  type ListValueNode,
  type ObjectValueNode,
  type ParseOptions,
  type SelectionSetNode,
  type Source,
  type TypeNode,
  type ValidationContext,
} from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { Identity } from '../kit/auth/identity.ts';
import { clientError, ErrorCode } from '../kit/errors.ts';
import { DEFAULT_LIST_SIZE, DEFAULT_PAGE_SIZE, operationCost, type ListSizes } from './cost.ts';
import { clientAddress, rateKeyOf, type TrustedProxies } from './client-address.ts';
import { startBudget } from './request-budget.ts';
import { loadTrustedDocuments } from './config-files.ts';

/** What one request may ask of the gateway. Every refusal is a coded error; the server stays up. */
export interface GatewayLimits {
  maxBodyBytes: number;
  maxDepth: number;
  maxAliases: number;
  maxTokens: number;
  maxDirectives: number;
  /** Characters in any one name of a document: an operation's, an alias, a fragment's, a variable's. */
  maxNameLength: number;
  /** Fields an operation may resolve, counting each list as `first` (or a default) items. */
  maxCost: number;
  /** Operations per minute per caller (its token's subject; its address when anonymous). */
  ratePerMinute: number;
  timeoutMs: number;
  /** How long one subgraph fetch may take at most (less when the request has less time left: request-budget.ts). */
  subgraphTimeoutMs: number;
  /** How long composing one subscription event may wait for other subgraphs (subscriptions/event-budget.ts). */
  subscriptionEventTimeoutMs: number;
  /** Subscriptions one caller (as for the rate) may have open at once, over all its connections. */
  maxSubscriptionsPerCaller: number;
  /** WebSocket connections one address may hold open at once. */
  maxConnectionsPerAddress: number;
  /** When set, only the documents of this manifest run (production): `{ "<id>": "<document>" }` or Apollo's persisted query manifest. */
  trustedDocumentsPath?: string;
  /** The proxies in front of the gateway, whose X-Forwarded-For names a signed-out caller's address (gateway/client-address.ts). */
  trustedProxies?: TrustedProxies;
}

export const defaultLimits = {
  maxBodyBytes: 100_000,
  maxDepth: 15,
  maxAliases: 30,
  maxTokens: 3_000,
  maxDirectives: 50,
  maxNameLength: 100,
  maxCost: 20_000,
  ratePerMinute: 1_200,
  timeoutMs: 15_000,
  subgraphTimeoutMs: 10_000,
  subscriptionEventTimeoutMs: 5_000,
  maxSubscriptionsPerCaller: 100,
  maxConnectionsPerAddress: 200,
} satisfies Omit<GatewayLimits, 'trustedDocumentsPath' | 'trustedProxies'>;

// `spec`: the status GraphQL over HTTP gives a request error, 400 for application/graphql-response+json
// and 200 for plain application/json, as graphql's own parse and validation errors get; for every
// limit alike, whether it is checked while parsing, validating or (cost) before executing.
const tooComplex = (limit: string, message: string) => clientError(ErrorCode.QUERY_TOO_COMPLEX, message, { limit, http: { status: 400, spec: true } });

/**
 * graphql-js stops validating a document that costs too much to compare (the same field asked
 * for hundreds of times in one selection), with only "Validation aborted.": said in words here.
 */
const VALIDATION_ABORTED = 'Validation aborted.';
const validationTooCostly = () =>
  tooComplex('validation', 'This document takes more work to validate than allowed: a field asked for many times in one selection is compared with each of its repeats. Ask for each field once.');

/** graphql-armor's validation rules, reporting our coded error instead of throwing theirs. */
function armorRules(limits: GatewayLimits) {
  const report = (limit: string) => [(context: ValidationContext | null, error: GraphQLError) => context?.reportError(tooComplex(limit, error.message.replace(/^Syntax Error: /, '')))];
  const common = (limit: string) => ({ exposeLimits: true, propagateOnRejection: false, onReject: report(limit) });
  return [
    maxDepthRule({ n: limits.maxDepth, ignoreIntrospection: true, flattenFragments: true, ...common('depth') }),
    // Aliases of __typename count too (graphql-armor lets them pass by default): 850 of them under
    // a page of 100 items made an answer four times the size of the request per item.
    maxAliasesRule({ n: limits.maxAliases, allowList: [], ...common('aliases') }),
    maxDirectivesRule({ n: limits.maxDirectives, ...common('directives') }),
  ];
}

/**
 * Names a client makes up come back to it and go on: an alias is echoed in `data` and in every
 * error's `path`, an operation's name labels metrics and the gateway's fetches. A name longer
 * than `max` is refused (once per document, and without quoting it): no person names a thing
 * with thousands of characters, and one such name would be copied into every answer.
 */
function maxNameLengthRule(max: number) {
  return (context: ValidationContext): ASTVisitor => {
    let reported = false;
    return {
      Name(node) {
        if (reported || node.value.length <= max) return;
        reported = true;
        context.reportError(tooComplex('names', `A name in this document is ${node.value.length} characters long; names may have at most ${max}.`));
      },
    };
  };
}

/** What the gateway checks of a document while validating it, beyond GraphQL's own rules. */
function documentRules(limits: GatewayLimits) {
  return [...armorRules(limits), maxNameLengthRule(limits.maxNameLength)];
}

/**
 * The gateway's abuse limits, before anything reaches a subgraph: tokens while parsing, depth,
 * aliases, directives, name lengths and cost while validating (graphql-armor's rules where it has them), a
 * per-caller rate limit and a time limit on execution. Body size is checked before yoga reads
 * the body (kit/request-body.ts).
 */
export function useGatewayLimits(limits: GatewayLimits, trusted: ReturnType<typeof trustedDocuments>, listSizes: ListSizes = new Map()): Plugin {
  const rules = documentRules(limits);
  const rate = new RateLimiter(limits.ratePerMinute);
  // Cost depends on variables (`first: $n`), so it is counted when they are known, before execution.
  const costCheck = (args: ExecutionArgs) => {
    const cost = operationCost(args.schema, args.document, args.operationName, (args.variableValues ?? {}) as Record<string, unknown>, limits.maxCost, listSizes);
    if (cost <= limits.maxCost) return undefined;
    return tooComplex(
      'cost',
      `This operation costs more than the limit of ${limits.maxCost} (every field counts once per item of the lists above it; a page counts as its first: argument, or ${DEFAULT_PAGE_SIZE} without one, and another list as the most it holds, or ${DEFAULT_LIST_SIZE} where that is not declared).`,
    );
  };
  return {
    onParams({ params, setParams }) {
      if (trusted) setParams(trusted(params));
    },
    onParse({ setParseFn }) {
      setParseFn((source, options) => parseWithinTokens(source, limits.maxTokens, options));
    },
    onValidate({ addValidationRule }) {
      for (const rule of rules) addValidationRule(rule);
      return ({ valid, result, setResult }) => {
        if (valid) return;
        // A name past the limit: graphql-js's own errors about the same document would quote it
        // (`Cannot query field "…"`, `Variable "$…" is never used`), once per use.
        const longName = result.find((error) => error.extensions.limit === 'names');
        if (longName) return setResult([longName]);
        if (result.some((error) => error.message === VALIDATION_ABORTED)) {
          setResult(result.map((error) => (error.message === VALIDATION_ABORTED ? validationTooCostly() : error)));
        }
      };
    },
    onExecute({ args, executeFn, setExecuteFn, setResultAndStopExecution }) {
      const refused = rate.take(callerKey(args.contextValue, limits.trustedProxies)) ?? costCheck(args);
      if (refused) return setResultAndStopExecution({ errors: [refused] });
      startBudget(args.contextValue as object, limits.timeoutMs);
      setExecuteFn((executeArgs) => withTimeout(Promise.resolve(executeFn(executeArgs)), limits.timeoutMs));
    },
    onSubscribe({ args, setResultAndStopExecution }) {
      const refused = rate.take(callerKey(args.contextValue, limits.trustedProxies)) ?? costCheck(args);
      if (refused) setResultAndStopExecution({ errors: [refused] } as never);
    },
  };
}

/** Whom a request's limits are counted for: its token's subject, or its address when signed out. */
export function callerKey(context: unknown, trustedProxies: TrustedProxies | undefined): string {
  const { identity, req } = context as { identity?: Identity; req?: IncomingMessage };
  // Signed-in callers and signed-out ones have keys of their own kinds: no subject a token names can be an address's key.
  if (identity && identity.subject !== 'anonymous') return `subject:${identity.subject}`;
  return addressKey(req, trustedProxies);
}

/**
 * A client's address as its limits count it. The connection's own address; x-forwarded-for only as
 * written by proxies the gateway was told to trust: a caller could otherwise spend another
 * address's limit, or a new one each request.
 */
export function addressKey(req: IncomingMessage | undefined, trustedProxies: TrustedProxies | undefined): string {
  const address = clientAddress(req, trustedProxies);
  return `address:${address ? rateKeyOf(address) : 'unknown'}`;
}

/** A fixed one-minute window per caller: simple, bounded memory, and enough to stop a flood. */
class RateLimiter {
  private window = 0;
  private counts = new Map<string, number>();

  constructor(private readonly perMinute: number) {}

  take(key: string): GraphQLError | undefined {
    const window = Math.floor(Date.now() / 60_000);
    if (window !== this.window) {
      this.window = window;
      this.counts = new Map();
    }
    const count = (this.counts.get(key) ?? 0) + 1;
    this.counts.set(key, count);
    if (count <= this.perMinute) return undefined;
    const retryAfter = 60 - Math.floor((Date.now() / 1000) % 60);
    return clientError(ErrorCode.RATE_LIMITED, `More than ${this.perMinute} operations this minute; try again in ${retryAfter} s.`, {
      retryAfterSeconds: retryAfter,
      http: { status: 429, headers: { 'retry-after': String(retryAfter) } },
    });
  }
}

async function withTimeout<T>(work: Promise<T>, ms: number): Promise<T | { errors: GraphQLError[] }> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<{ errors: GraphQLError[] }>((resolve) => {
    timer = setTimeout(
      () => resolve({ errors: [clientError(ErrorCode.REQUEST_TIMEOUT, `The request took longer than ${ms} ms and was stopped.`, { http: { status: 504 } })] }),
      ms,
    );
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Brackets and braces one document may nest, all kinds together: selection sets, lists and input
 * objects, list types. graphql-js parses each level with a few calls of its own, so a document
 * of `[[[[…` within the token limit (one token a level) ran Node.js out of stack, the gateway's
 * answer then depending on the compiler's state. Far above what the depth limit lets a selection
 * reach, and above any input a client means to send.
 */
export const MAX_NESTING = 64;

const tooDeeplyNested = () => tooComplex('nesting', `This document nests brackets and braces more than ${MAX_NESTING} deep.`);

/** graphql-armor's token-counting parser, refusing a document nested past MAX_NESTING before it recurses that far. */
class BoundedParser extends MaxTokensParserWLexer {
  private nesting = 0;

  private nested<T>(parse: () => T): T {
    if (++this.nesting > MAX_NESTING) throw tooDeeplyNested();
    try {
      return parse();
    } finally {
      this.nesting--;
    }
  }

  override parseSelectionSet(): SelectionSetNode {
    return this.nested(() => super.parseSelectionSet());
  }

  override parseList(isConst: true): ConstListValueNode;
  override parseList(isConst: boolean): ListValueNode;
  override parseList(isConst: boolean): ListValueNode {
    return this.nested(() => super.parseList(isConst));
  }

  override parseObject(isConst: true): ConstObjectValueNode;
  override parseObject(isConst: boolean): ObjectValueNode;
  override parseObject(isConst: boolean): ObjectValueNode {
    return this.nested(() => super.parseObject(isConst));
  }

  override parseTypeReference(): TypeNode {
    return this.nested(() => super.parseTypeReference());
  }
}

/** A document as the gateway parses it: QUERY_TOO_COMPLEX past `maxTokens` (limit: tokens) or MAX_NESTING (limit: nesting). */
function parseWithinTokens(source: string | Source, maxTokens: number, options?: ParseOptions): DocumentNode {
  const parser = new BoundedParser(source, {
    ...options,
    n: maxTokens,
    exposeLimits: true,
    onReject: [
      (_context, error) => {
        throw tooComplex('tokens', error.message.replace(/^Syntax Error: /, ''));
      },
    ],
  });
  try {
    return parser.parseDocument();
  } catch (error) {
    // Should the stack run out all the same (a smaller stack than Node.js's default), the same refusal, not an internal error.
    if (error instanceof RangeError) throw tooDeeplyNested();
    throw error;
  }
}

/**
 * What the gateway would refuse of a document before running it, whoever sends it: more tokens
 * than allowed, and what does not validate against `schema` (the graph clients see) or breaks
 * a limit checked while validating (depth, aliases, directives, name lengths). Cost depends on variables, so
 * it is checked only when a document runs.
 */
export function trustedDocumentCheck(limits: GatewayLimits, schema: GraphQLSchema): (document: string) => readonly GraphQLError[] {
  const rules = [...specifiedRules, ...documentRules(limits)];
  return (text) => {
    let document: DocumentNode;
    try {
      document = parseWithinTokens(text, limits.maxTokens);
    } catch (error) {
      return [error instanceof GraphQLError ? error : new GraphQLError(String(error))];
    }
    return validate(schema, document, rules).map((error) => (error.message === VALIDATION_ABORTED ? validationTooCostly() : error));
  };
}

/** The manifest GATEWAY_TRUSTED_DOCUMENTS names, every document checked as trustedDocumentCheck does; undefined when unset. */
export function loadTrustedManifest(limits: GatewayLimits, schema: GraphQLSchema): Map<string, string> | undefined {
  return limits.trustedDocumentsPath ? loadTrustedDocuments(limits.trustedDocumentsPath, trustedDocumentCheck(limits, schema)) : undefined;
}

/**
 * With `trustedDocumentsPath`: the request with the query its id names in the manifest, or
 * UNTRUSTED_DOCUMENT. One rule for HTTP and WebSocket requests alike. Without: undefined.
 * Every document in the manifest must pass trustedDocumentCheck.
 */
export function trustedDocuments(limits: GatewayLimits, schema: GraphQLSchema) {
  const trusted = loadTrustedManifest(limits, schema);
  if (!trusted) return undefined;
  return <T extends { query?: string; extensions?: unknown }>(params: T): T => {
    const extensions = params.extensions as { persistedQuery?: { sha256Hash?: string } } | undefined;
    const id = extensions?.persistedQuery?.sha256Hash;
    const query = id ? trusted.get(id) : undefined;
    if (!query) {
      throw clientError(ErrorCode.UNTRUSTED_DOCUMENT, 'This gateway runs only trusted documents: send the id of one from its manifest as extensions.persistedQuery.sha256Hash.', { http: { status: 400 } });
    }
    return { ...params, query };
  };
}
