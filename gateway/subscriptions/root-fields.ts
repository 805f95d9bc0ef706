import { Kind, type DocumentNode, type FieldNode, type FragmentDefinitionNode, type OperationDefinitionNode, type SelectionNode, type SelectionSetNode } from 'graphql';

/**
 * Every selection at an operation's root: its fields, and the fragments (inline and named) they
 * are written in, followed through those fragments whatever their @skip or @include.
 */
function rootSelections(document: DocumentNode, operation: OperationDefinitionNode): SelectionNode[] {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  const selections: SelectionNode[] = [];
  const visited = new Set<string>();
  const walk = (selectionSet: SelectionSetNode) => {
    for (const selection of selectionSet.selections) {
      selections.push(selection);
      if (selection.kind === Kind.INLINE_FRAGMENT) walk(selection.selectionSet);
      else if (selection.kind === Kind.FRAGMENT_SPREAD && !visited.has(selection.name.value)) {
        visited.add(selection.name.value);
        const fragment = fragments.get(selection.name.value);
        if (fragment) walk(fragment.selectionSet);
      }
    }
  };
  walk(operation.selectionSet);
  return selections;
}

/**
 * The root fields of an operation, found through its fragments, inline and named, whatever their
 * @skip or @include: `subscription { ... on Subscription { orderTransitions(...) } }` selects
 * `orderTransitions` as surely as writing it out does, so every check of a root field looks here.
 */
export function rootFields(document: DocumentNode, operation: OperationDefinitionNode): FieldNode[] {
  return rootSelections(document, operation).filter((selection): selection is FieldNode => selection.kind === Kind.FIELD);
}

/**
 * Whether the root field is selected conditionally (`@skip` or `@include` on it, or on a fragment
 * that holds it). The subscription planner cannot plan that (it failed as an internal error, and
 * over a WebSocket closed the caller's connection with every subscription on it).
 */
export function hasConditionalRoot(document: DocumentNode, operation: OperationDefinitionNode): boolean {
  return rootSelections(document, operation).some((selection) => selection.directives?.some((directive) => directive.name.value === 'skip' || directive.name.value === 'include'));
}
