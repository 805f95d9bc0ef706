import { Kind, parse, type DocumentNode, type FieldNode, type GraphQLError, type GraphQLFormattedError, type SelectionNode } from 'graphql';

/** Errors one failed fetch may give with a path each; past this, one more says how many fields it left out. */
export const MAX_FIELD_ERRORS = 50;

type Path = (string | number)[];

/**
 * Where each field a subgraph fetch (its operation's text) asked for sits in that subgraph's answer: `[field]` for a
 * root fetch, `['_entities', i, field]` for each entity of an entity fetch. Apollo Gateway turns
 * those into paths in the client's answer (an entity's index into where the entity is), as it does
 * for errors the subgraph itself returns.
 */
export function fieldPaths(query: string | undefined, variables: Record<string, unknown> | undefined): Path[] {
  let document: DocumentNode;
  try {
    document = parse(query ?? '');
  } catch {
    return []; // not a document: the error is given once, without a path
  }
  const operation = document.definitions.find((definition) => definition.kind === Kind.OPERATION_DEFINITION);
  if (operation?.kind !== Kind.OPERATION_DEFINITION) return [];
  const paths: Path[] = [];
  for (const field of fieldsOf(operation.selectionSet.selections)) {
    if (field.name.value !== '_entities') {
      paths.push([keyOf(field)]);
      continue;
    }
    const representations = Array.isArray(variables?.representations) ? (variables.representations as { __typename?: unknown }[]) : [];
    representations.forEach((representation, i) => {
      for (const selection of field.selectionSet?.selections ?? []) {
        if (selection.kind !== Kind.INLINE_FRAGMENT || (selection.typeCondition && selection.typeCondition.name.value !== representation?.__typename)) continue;
        for (const asked of fieldsOf(selection.selectionSet.selections)) paths.push(['_entities', i, keyOf(asked)]);
      }
    });
  }
  return paths;
}

/**
 * A fetch that got no answer (or was not sent) as the errors of the fields it asked for, one each
 * with its path, as a subgraph's own errors come: a client can tell which fields are missing, not
 * only that something is. At most MAX_FIELD_ERRORS of them; one more, without a path, counts the
 * rest. A fetch of nothing but `__typename` gives the error once, without a path.
 */
export function fieldErrors(error: GraphQLError, paths: readonly Path[]): GraphQLFormattedError[] {
  const { message, extensions } = error;
  const errors: GraphQLFormattedError[] = paths.slice(0, MAX_FIELD_ERRORS).map((path) => ({ message, path, extensions }));
  if (paths.length > MAX_FIELD_ERRORS) errors.push({ message: `${message} (${paths.length - MAX_FIELD_ERRORS} more fields are missing for the same reason.)`, extensions });
  return errors.length > 0 ? errors : [{ message, extensions }];
}

/** The fields of a selection set but `__typename`, which is never what is missing. */
function fieldsOf(selections: readonly SelectionNode[]): FieldNode[] {
  return selections.filter((selection): selection is FieldNode => selection.kind === Kind.FIELD && selection.name.value !== '__typename');
}

const keyOf = (field: FieldNode) => (field.alias ?? field.name).value;
