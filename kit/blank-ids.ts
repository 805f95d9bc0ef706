import {
  getNamedType,
  getNullableType,
  getOperationAST,
  getVariableValues,
  GraphQLID,
  isInputObjectType,
  isListType,
  TypeInfo,
  valueFromAST,
  visit,
  visitWithTypeInfo,
  type DocumentNode,
  type ExecutionArgs,
  type ExecutionResult,
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

/** An argument whose type holds an ID somewhere (itself, a list of them, or an input's field). */
interface IdSite {
  value: ValueNode;
  type: GraphQLInputType;
  name: string;
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
const sitesByOperation = new WeakMap<OperationDefinitionNode, IdSite[]>();

function idSites(schema: GraphQLSchema, document: DocumentNode, operation: OperationDefinitionNode): IdSite[] {
  const known = sitesByOperation.get(operation);
  if (known) return known;
  const sites: IdSite[] = [];
  const typeInfo = new TypeInfo(schema);
  visit(
    document,
    visitWithTypeInfo(typeInfo, {
      // Only the operation that runs (and the fragments it may spread): another one's blank ID is not this request's.
      OperationDefinition: (node) => (node === operation ? undefined : false),
      Argument(node) {
        const argument = typeInfo.getArgument();
        if (argument && holdsId(argument.type)) sites.push({ value: node.value, type: argument.type, name: node.name.value });
      },
    }),
  );
  sitesByOperation.set(operation, sites);
  return sites;
}

/** The name of the first ID in `value` (of `type`) that shows nothing, or undefined. */
function blankIdIn(value: unknown, type: GraphQLInputType, name: string): string | undefined {
  if (value == null) return undefined;
  const nullable = getNullableType(type);
  if (isListType(nullable)) {
    if (!Array.isArray(value)) return blankIdIn(value, nullable.ofType, name); // a single value stands for a list of one
    for (const item of value) {
      const blank = blankIdIn(item, nullable.ofType, name);
      if (blank) return blank;
    }
    return undefined;
  }
  if (isInputObjectType(nullable)) {
    for (const [fieldName, field] of Object.entries(nullable.getFields())) {
      const blank = blankIdIn((value as Record<string, unknown>)[fieldName], field.type, fieldName);
      if (blank) return blank;
    }
    return undefined;
  }
  return isId(nullable) && typeof value === 'string' && showsNothing(value) ? name : undefined;
}

/**
 * A request with an ID that shows nothing is BAD_USER_INPUT (`<field> must not be empty`), and no
 * resolver runs. A value that is not of its type is left to execution, which reports it as such.
 */
export function useBlankIdsRefused(): Plugin {
  const refuse = ({ args, setResultAndStopExecution }: { args: ExecutionArgs; setResultAndStopExecution: (result: ExecutionResult) => void }) => {
    const operation = getOperationAST(args.document, args.operationName);
    if (!operation) return; // execution says which operation is missing
    const sites = idSites(args.schema, args.document, operation);
    if (sites.length === 0) return;
    // As the resolvers will get them: a variable left out takes its default (`$id: ID = ""`).
    const coerced = getVariableValues(args.schema, operation.variableDefinitions ?? [], (args.variableValues ?? {}) as Record<string, unknown>);
    if (!coerced.coerced) return; // execution reports what is wrong with them
    const variables = coerced.coerced;
    for (const site of sites) {
      const blank = blankIdIn(valueFromAST(site.value, site.type, variables), site.type, site.name);
      if (blank) return setResultAndStopExecution({ errors: [badInput(`${blank} must not be empty`, blank)] });
    }
  };
  // A subscription's arguments (orderTransitions' orderId) as a query's.
  return { onExecute: refuse, onSubscribe: refuse };
}
