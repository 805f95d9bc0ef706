import {
  getDirectiveValues,
  getNamedType,
  getNullableType,
  getOperationAST,
  getVariableValues,
  GraphQLID,
  GraphQLIncludeDirective,
  GraphQLSkipDirective,
  isInputObjectType,
  isListType,
  isUnionType,
  Kind,
  TypeInfo,
  valueFromAST,
  visit,
  visitWithTypeInfo,
  type DocumentNode,
  type ExecutionArgs,
  type ExecutionResult,
  type FieldNode,
  type FragmentSpreadNode,
  type InlineFragmentNode,
  type GraphQLInputType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type ValueNode,
} from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { badInput } from './errors.ts';
import { showsNothing } from './storable-text.ts';

// An ID names one thing. One that shows nothing (empty, spaces, a zero-width space) names nothing,
// and a resolver handed it answers as if asked about something that does not exist (null, [],
// NOT_FOUND), or worse, as if the argument were left out (every customer's orders). Every ID a
// request carries, as an argument or inside an input, literal or variable, is checked here once
// for every subgraph, before any resolver runs, so that no lookup can forget to.

/**
 * An argument whose type holds an ID somewhere (itself, a list of them, or an input's field), or
 * `_entities`' representations (`references`), each of which names an entity by its key.
 */
interface IdSite extends Placed {
  value: ValueNode;
  type: GraphQLInputType;
  name: string;
  references?: true;
}

/**
 * Where something stands: in the operation (`fragment` null) or in a fragment, under the fields and
 * fragments whose `@skip` or `@include` decide, with the request's variables, whether it runs.
 */
interface Placed {
  fragment: string | null;
  guards: readonly GuardedNode[];
}

/** A field, inline fragment or fragment spread that carries `@skip` or `@include`. */
type GuardedNode = FieldNode | InlineFragmentNode | FragmentSpreadNode;

/** What an operation's ID sites are checked with: the sites, and where each fragment is spread. */
interface Sites {
  sites: IdSite[];
  spreads: (Placed & { of: string })[];
}

const isId = (type: { name: string }) => type.name === GraphQLID.name;

/** Whether a value of `type` can hold an ID, looking through lists and inputs (each input once). */
function holdsId(type: GraphQLInputType, seen = new Set<string>()): boolean {
  const named = getNamedType(type);
  if (isId(named)) return true;
  if (!isInputObjectType(named) || seen.has(named.name)) return false;
  seen.add(named.name);
  return Object.values(named.getFields()).some((field) => holdsId(field.type, seen));
}

/**
 * Where the operation's arguments (and those of the fragments in its document) can hold IDs: found
 * once per operation, which yoga's cache of parsed documents keeps the same object. Keyed by the
 * operation itself, not by the name a client sends with it: any number of names cost nothing.
 */
const sitesByOperation = new WeakMap<OperationDefinitionNode, Sites>();

function idSites(schema: GraphQLSchema, document: DocumentNode, operation: OperationDefinitionNode): Sites {
  const known = sitesByOperation.get(operation);
  if (known) return known;
  const found: Sites = { sites: [], spreads: [] };
  const typeInfo = new TypeInfo(schema);
  let fragment: string | null = null;
  const guards: GuardedNode[] = [];
  const guarded = {
    enter: (node: GuardedNode) => {
      if (node.kind === Kind.FRAGMENT_SPREAD) found.spreads.push({ of: node.name.value, fragment, guards: [...guards, ...(isGuarded(node) ? [node] : [])] });
      else if (isGuarded(node)) guards.push(node);
    },
    leave: (node: GuardedNode) => {
      if (node.kind !== Kind.FRAGMENT_SPREAD && isGuarded(node)) guards.pop();
    },
  };
  visit(
    document,
    visitWithTypeInfo(typeInfo, {
      // Only the operation that runs (and the fragments it may spread): another one's blank ID is not this request's.
      OperationDefinition: (node) => {
        fragment = null;
        return node === operation ? undefined : false;
      },
      FragmentDefinition: (node) => {
        fragment = node.name.value;
      },
      Field: guarded,
      InlineFragment: guarded,
      FragmentSpread: guarded,
      Argument(node) {
        const argument = typeInfo.getArgument();
        if (!argument) return;
        const placed = { fragment, guards: [...guards] };
        if (holdsId(argument.type)) found.sites.push({ value: node.value, type: argument.type, name: node.name.value, ...placed });
        else if (typeInfo.getFieldDef()?.name === '_entities' && argument.name === 'representations') found.sites.push({ value: node.value, type: argument.type, name: node.name.value, references: true, ...placed });
      },
    }),
  );
  sitesByOperation.set(operation, found);
  return found;
}

const isGuarded = (node: GuardedNode) => node.directives?.some((directive) => directive.name.value === 'skip' || directive.name.value === 'include') ?? false;

/** Whether a field or fragment runs, by its `@skip` and `@include` and the request's variables. */
function runs(node: GuardedNode, variables: Record<string, unknown>): boolean {
  if (getDirectiveValues(GraphQLSkipDirective, node, variables)?.if === true) return false;
  return getDirectiveValues(GraphQLIncludeDirective, node, variables)?.if !== false;
}

/**
 * Whether what stands there runs for this request: none of its guards skips it, and, in a fragment,
 * the fragment is spread somewhere that runs. A field skipped is not executed, so an ID it would have
 * been given names nothing that is looked up: not refused (Apollo's query planner passes a client's
 * `@skip(if: $variable)` on to the subgraph that resolves the field).
 */
function placedToRun(spreads: Sites['spreads'], placed: Placed, variables: Record<string, unknown>, seen = new Set<string>()): boolean {
  if (!placed.guards.every((node) => runs(node, variables))) return false;
  if (placed.fragment === null) return true;
  if (seen.has(placed.fragment)) return false; // a cycle, which validation refuses anyway
  seen.add(placed.fragment);
  return spreads.some((spread) => spread.of === placed.fragment && placedToRun(spreads, spread, variables, new Set(seen)));
}

/**
 * The longest an ID may be, in UTF-8 bytes: the longest any id is made or chosen (tracking takes
 * transitions' ids up to this). A longer one names nothing, and was sent to the database as a
 * lookup all the same, up to the body limit (90 KB of it).
 */
export const MAX_ID_BYTES = 1_000;

/** What is wrong with an ID's value, if anything. */
function idProblem(value: string): string | undefined {
  if (showsNothing(value)) return 'must not be empty';
  if (value.length > MAX_ID_BYTES / 3 && Buffer.byteLength(value, 'utf8') > MAX_ID_BYTES) return `must be at most ${MAX_ID_BYTES} bytes of UTF-8: no id is longer`;
  return undefined;
}

/** The first ID in `value` (of `type`) that names nothing, and what is wrong with it, or undefined. */
function wrongIdIn(value: unknown, type: GraphQLInputType, name: string): { field: string; problem: string } | undefined {
  if (value == null) return undefined;
  const nullable = getNullableType(type);
  if (isListType(nullable)) {
    if (!Array.isArray(value)) return wrongIdIn(value, nullable.ofType, name); // a single value stands for a list of one
    for (const item of value) {
      const wrong = wrongIdIn(item, nullable.ofType, name);
      if (wrong) return wrong;
    }
    return undefined;
  }
  if (isInputObjectType(nullable)) {
    for (const [fieldName, field] of Object.entries(nullable.getFields())) {
      const wrong = wrongIdIn((value as Record<string, unknown>)[fieldName], field.type, fieldName);
      if (wrong) return wrong;
    }
    return undefined;
  }
  const problem = isId(nullable) && typeof value === 'string' ? idProblem(value) : undefined;
  return problem ? { field: name, problem } : undefined;
}

/**
 * The entity types the schema resolves (its `_Entity` union) and their key fields
 * (`@key(fields: "id")`, or several: `"centre bin"`), found once per schema. A key that reaches
 * into a nested object (`"owner { id }"`) is not checked here; this graph has none.
 */
const keysBySchema = new WeakMap<GraphQLSchema, Map<string, string[][]>>();

/** Each entity type's keys: one list of fields per `@key` (a reference gives one of them). */
function entityKeys(schema: GraphQLSchema): Map<string, string[][]> {
  const known = keysBySchema.get(schema);
  if (known) return known;
  const keys = new Map<string, string[][]>();
  const entities = schema.getType('_Entity');
  for (const type of isUnionType(entities) ? entities.getTypes() : []) {
    const alternatives: string[][] = [];
    for (const node of [type.astNode, ...type.extensionASTNodes]) {
      for (const directive of node?.directives ?? []) {
        if (directive.name.value !== 'key') continue;
        const fields = directive.arguments?.find((argument) => argument.name.value === 'fields')?.value;
        if (fields?.kind === Kind.STRING && !/[{}]/.test(fields.value)) alternatives.push(fields.value.split(/\s+/).filter(Boolean));
      }
    }
    keys.set(type.name, alternatives);
  }
  keysBySchema.set(schema, keys);
  return keys;
}

/**
 * What is wrong with the first reference that names nothing: not an object, no type name, or a key
 * that is not a string or shows nothing, or a type this service does not resolve. Each key would
 * otherwise reach a lookup as it came (an object in a filter was an unexpected error), or name
 * nothing; federation's own answer to an unknown type was an unexpected error too.
 */
function badReference(schema: GraphQLSchema, representations: unknown, name: string): string | undefined {
  if (!Array.isArray(representations)) return undefined; // a single value stands for a list of one: execution says so
  for (const [i, representation] of representations.entries()) {
    const at = `${name}[${i}]`;
    if (representation === null || typeof representation !== 'object' || Array.isArray(representation)) return `${at} must be an object`;
    const { __typename: typename, ...fields } = representation as Record<string, unknown>;
    if (typeof typename !== 'string') return `${at}.__typename must be a string`;
    const keys = entityKeys(schema).get(typename);
    if (!keys) return `${at}.__typename names no entity of this service`;
    if (keys.length === 0) continue;
    const given = keys.find((key) => key.every((field) => typeof fields[field] === 'string')) ?? keys[0]!;
    for (const field of given) {
      if (typeof fields[field] !== 'string') return `${at}.${field} must be a string`;
      const problem = idProblem(fields[field] as string);
      if (problem) return `${at}.${field} ${problem}`;
    }
  }
  return undefined;
}

/**
 * A request with an ID that shows nothing is BAD_USER_INPUT (`<field> must not be empty`), and so
 * is an entity reference that names nothing (`representations[0].id must be a string`); no resolver
 * runs. A value that is not of its type is left to execution, which reports it as such.
 */
export function useBlankIdsRefused(): Plugin {
  const refuse = ({ args, setResultAndStopExecution }: { args: ExecutionArgs; setResultAndStopExecution: (result: ExecutionResult) => void }) => {
    const operation = getOperationAST(args.document, args.operationName);
    if (!operation) return; // execution says which operation is missing
    const found = idSites(args.schema, args.document, operation);
    if (found.sites.length === 0) return;
    // As the resolvers will get them: a variable left out takes its default (`$id: ID = ""`).
    const coerced = getVariableValues(args.schema, operation.variableDefinitions ?? [], (args.variableValues ?? {}) as Record<string, unknown>);
    if (!coerced.coerced) return; // execution reports what is wrong with them
    const variables = coerced.coerced;
    for (const site of found.sites) {
      if (!placedToRun(found.spreads, site, variables)) continue;
      const value = valueFromAST(site.value, site.type, variables);
      if (site.references) {
        const wrong = badReference(args.schema, value, site.name);
        if (wrong) return setResultAndStopExecution({ errors: [badInput(wrong, site.name)] });
        continue;
      }
      const wrong = wrongIdIn(value, site.type, site.name);
      if (wrong) return setResultAndStopExecution({ errors: [badInput(`${wrong.field} ${wrong.problem}`, wrong.field)] });
    }
  };
  // A subscription's arguments (orderTransitions' orderId) as a query's.
  return { onExecute: refuse, onSubscribe: refuse };
}
