import {
  getNamedType,
  getOperationAST,
  isInterfaceType,
  isListType,
  isNonNullType,
  isObjectType,
  Kind,
  parse,
  type DocumentNode,
  type FragmentDefinitionNode,
  type GraphQLNamedType,
  type GraphQLOutputType,
  type GraphQLSchema,
  type SelectionSetNode,
} from 'graphql';
import { getArgumentValues } from 'graphql/execution/values.js';

/** Items a list field without a `first` argument is assumed to return, unless its SDL says (`@listSize`). */
export const DEFAULT_LIST_SIZE = 10;

/** `Type.field` → how many items the list holds, as its owner declared it with `@listSize(assumedSize:)`. */
export type ListSizes = ReadonlyMap<string, number>;

/**
 * Reads the sizes subgraphs declare for their lists that take no `first:` (federation's
 * `@listSize(assumedSize: 50)` on `Order.lines`, which holds at most 50), from the composed
 * supergraph, once at start-up. A list declared in several subgraphs counts as its largest.
 */
export function readListSizes(sdl: string | DocumentNode): ListSizes {
  const document = typeof sdl === 'string' ? parse(sdl) : sdl;
  const sizes = new Map<string, number>();
  for (const definition of document.definitions) {
    if (!('fields' in definition) || !('name' in definition) || !definition.name) continue;
    for (const field of definition.fields ?? []) {
      for (const directive of field.directives ?? []) {
        if (directive.name.value !== 'listSize') continue;
        const assumed = directive.arguments?.find((argument) => argument.name.value === 'assumedSize')?.value;
        if (assumed?.kind !== Kind.INT) continue;
        const coordinate = `${definition.name.value}.${field.name.value}`;
        sizes.set(coordinate, Math.max(sizes.get(coordinate) ?? 0, Number(assumed.value)));
      }
    }
  }
  return sizes;
}

/**
 * Items a page is assumed to hold when `first` is left out or null: the largest page any list
 * serves by default (kit/paging.ts: 20, and 50 for receipts, exceptions and bin items). Counted
 * as 10, `first: null` fetched up to five times what it was counted as.
 */
export const DEFAULT_PAGE_SIZE = 50;
/**
 * The largest page any list serves (kit/paging.ts: 100, and 500 for receipts and bin items): a
 * `first` beyond it is counted as that, so that the list's own answer (BAD_USER_INPUT, "first must
 * be between 1 and 100") reaches the client rather than a cost the query would never have.
 */
export const LARGEST_PAGE = 500;

const isList = (type: GraphQLOutputType): boolean => isListType(isNonNullType(type) ? type.ofType : type);

/**
 * What an operation costs, counting list sizes: every field costs one per item of its parent,
 * and a list field multiplies what is under it by its `first` argument (DEFAULT_PAGE_SIZE without
 * one), or by the size its SDL declares (`listSizes`) or else DEFAULT_LIST_SIZE for a list that takes none.
 * So `customers(first: 100) { orders(first: 100) { id } }` costs 10,200 however few characters
 * it takes. Fragments count where they are spread; introspection is free (an aliased `__typename` is not). Counting stops
 * once it passes `stopAbove`.
 */
export function operationCost(
  schema: GraphQLSchema,
  document: DocumentNode,
  operationName: string | null | undefined,
  variables: Record<string, unknown>,
  stopAbove = Number.POSITIVE_INFINITY,
  listSizes: ListSizes = new Map(),
): number {
  const operation = getOperationAST(document, operationName ?? undefined);
  if (!operation) return 0;
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  let cost = 0;
  const walk = (selectionSet: SelectionSetNode, parent: GraphQLNamedType | undefined, multiplier: number, spread: ReadonlySet<string>) => {
    for (const selection of selectionSet.selections) {
      if (cost > stopAbove) return;
      if (selection.kind === Kind.FIELD) {
        // Introspection is free, and so is `__typename` as clients add it; an alias of it is a field of its own in the answer.
        if (selection.name.value.startsWith('__') && !(selection.name.value === '__typename' && selection.alias)) continue;
        const field = parent && (isObjectType(parent) || isInterfaceType(parent)) ? parent.getFields()[selection.name.value] : undefined;
        cost += multiplier;
        if (!field || !selection.selectionSet) continue;
        // A page (a list, or a connection whose nodes are the list) counts as its `first`; a list
        // inside a connection was counted by the connection; any other list as its declared size.
        let size = 1;
        const paged = field.args.some((argument) => argument.name === 'first');
        if (paged) {
          size = DEFAULT_PAGE_SIZE;
          try {
            const first = getArgumentValues(field, selection, variables).first;
            if (typeof first === 'number' && first >= 0) size = Math.min(first, LARGEST_PAGE);
          } catch {
            // bad arguments are graphql's own validation errors
          }
        } else if (isList(field.type) && !parent!.name.endsWith('Connection')) {
          size = listSizes.get(`${parent!.name}.${field.name}`) ?? DEFAULT_LIST_SIZE;
        }
        walk(selection.selectionSet, getNamedType(field.type), multiplier * Math.max(size, 1), spread);
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        const type = selection.typeCondition ? schema.getType(selection.typeCondition.name.value) : parent;
        walk(selection.selectionSet, type ?? undefined, multiplier, spread);
      } else {
        const fragment = fragments.get(selection.name.value);
        if (!fragment || spread.has(fragment.name.value)) continue;
        walk(fragment.selectionSet, schema.getType(fragment.typeCondition.name.value) ?? undefined, multiplier, new Set([...spread, fragment.name.value]));
      }
    }
  };
  const root = operation.operation === 'query' ? schema.getQueryType() : operation.operation === 'mutation' ? schema.getMutationType() : schema.getSubscriptionType();
  walk(operation.selectionSet, root ?? undefined, 1, new Set());
  return cost;
}
