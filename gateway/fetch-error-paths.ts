import {
  getDirectiveValues,
  GraphQLIncludeDirective,
  GraphQLSkipDirective,
  Kind,
  parse,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type FragmentSpreadNode,
  type GraphQLError,
  type GraphQLFormattedError,
  type InlineFragmentNode,
  type SelectionNode,
  valueFromASTUntyped,
} from 'graphql';

/** Errors one failed fetch may give with a path each; past this, one more says how many fields it left out. */
export const MAX_FIELD_ERRORS = 50;

/**
 * Errors with a path one client request may get over all its failed fetches. Past it, a failed
 * fetch is one error without a path, as Apollo Gateway gives it: one request whose many fetches
 * all fail (a list of orders, aliased many times over, with several subgraphs down) would
 * otherwise be answered with thousands of errors.
 */
export const MAX_FIELD_ERRORS_PER_REQUEST = 100;

type Path = (string | number)[];
type Variables = Record<string, unknown> | undefined;

/**
 * Where each field a subgraph fetch (its operation's text) asked for sits in that subgraph's
 * answer: `[field]` for a root fetch, `['_entities', i, field]` for each entity of an entity
 * fetch. Apollo Gateway turns those into paths in the client's answer (an entity's index into
 * where the entity is), as it does for errors the subgraph itself returns. Fields left out by
 * `@skip` or `@include` are not named; fields of fragments, inline or named, are.
 */
export function fieldPaths(query: string | undefined, variables: Variables): Path[] {
  let document: DocumentNode;
  try {
    document = parse(query ?? '');
  } catch {
    return []; // not a document: the error is given once, without a path
  }
  const operation = document.definitions.find((definition) => definition.kind === Kind.OPERATION_DEFINITION);
  if (operation?.kind !== Kind.OPERATION_DEFINITION) return [];
  // A variable the request leaves out has its default, for `@skip`/`@include` as for execution.
  const defaults = (operation.variableDefinitions ?? []).flatMap((definition) =>
    definition.defaultValue ? [[definition.variable.name.value, valueFromASTUntyped(definition.defaultValue)] as const] : [],
  );
  variables = { ...Object.fromEntries(defaults), ...variables };
  const fragments = new Map(
    document.definitions.filter((definition): definition is FragmentDefinitionNode => definition.kind === Kind.FRAGMENT_DEFINITION).map((fragment) => [fragment.name.value, fragment]),
  );
  const fieldsIn = (selections: readonly SelectionNode[]) => fieldsOf(selections, fragments, variables);
  const paths: Path[] = [];
  for (const field of fieldsIn(operation.selectionSet.selections)) {
    if (field.name.value !== '_entities') {
      paths.push([keyOf(field)]);
      continue;
    }
    const representations = Array.isArray(variables?.representations) ? (variables.representations as { __typename?: unknown }[]) : [];
    representations.forEach((representation, i) => {
      // An entity answers the fragments of its own type; inside one, every selection applies to it.
      const ofItsType = (field.selectionSet?.selections ?? []).filter((selection) => {
        if (!included(selection, variables)) return false;
        const type = selection.kind === Kind.INLINE_FRAGMENT ? selection.typeCondition : selection.kind === Kind.FRAGMENT_SPREAD ? fragments.get(selection.name.value)?.typeCondition : undefined;
        return selection.kind !== Kind.FIELD && (!type || type.name.value === representation?.__typename);
      });
      for (const asked of fieldsIn(ofItsType)) paths.push(['_entities', i, keyOf(asked)]);
    });
  }
  return paths;
}

/**
 * A fetch that got no answer (or was not sent) as the errors of the fields it asked for, one each
 * with its path, as a subgraph's own errors come: a client can tell which fields are missing, not
 * only that something is. At most `limit` of them (MAX_FIELD_ERRORS, or fewer if the request has
 * fewer left); one more, without a path, counts the rest. With no field to name, the error is
 * given once, without a path.
 */
export function fieldErrors(error: GraphQLError, paths: readonly Path[], limit = MAX_FIELD_ERRORS): GraphQLFormattedError[] {
  const { message, extensions } = error;
  const named = Math.max(0, Math.min(limit, MAX_FIELD_ERRORS));
  const errors: GraphQLFormattedError[] = paths.slice(0, named).map((path) => ({ message, path, extensions }));
  if (paths.length > named) errors.push({ message: errors.length > 0 ? `${message} (${paths.length - named} more fields are missing for the same reason.)` : message, extensions });
  return errors.length > 0 ? errors : [{ message, extensions }];
}

/**
 * The fields a selection set asks for, with those of its fragments, each response key once:
 * not those `@skip` or `@include` leave out, nor `__typename`, which is never what is missing.
 */
function fieldsOf(selections: readonly SelectionNode[], fragments: ReadonlyMap<string, FragmentDefinitionNode>, variables: Variables, spread = new Set<string>()): FieldNode[] {
  const fields = new Map<string, FieldNode>();
  for (const selection of selections) {
    if (!included(selection, variables)) continue;
    if (selection.kind === Kind.FIELD) {
      if (selection.name.value !== '__typename' && !fields.has(keyOf(selection))) fields.set(keyOf(selection), selection);
      continue;
    }
    let inner: readonly SelectionNode[] = [];
    if (selection.kind === Kind.INLINE_FRAGMENT) inner = selection.selectionSet.selections;
    else if (!spread.has(selection.name.value)) inner = fragments.get(selection.name.value)?.selectionSet.selections ?? [];
    const within = selection.kind === Kind.FRAGMENT_SPREAD ? new Set([...spread, selection.name.value]) : spread;
    for (const field of fieldsOf(inner, fragments, variables, within)) if (!fields.has(keyOf(field))) fields.set(keyOf(field), field);
  }
  return [...fields.values()];
}

/** Whether `@skip` and `@include` leave the selection in, with these variables (when they cannot tell, it is). */
function included(selection: FieldNode | InlineFragmentNode | FragmentSpreadNode, variables: Variables): boolean {
  try {
    if (getDirectiveValues(GraphQLSkipDirective, selection, variables ?? {})?.if === true) return false;
    return getDirectiveValues(GraphQLIncludeDirective, selection, variables ?? {})?.if !== false;
  } catch {
    return true;
  }
}

const keyOf = (field: FieldNode) => (field.alias ?? field.name).value;
