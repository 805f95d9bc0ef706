import { getNamedType, isInputObjectType, isInterfaceType, isObjectType, isUnionType, Kind, parse, print, visit, type FieldDefinitionNode, type GraphQLNamedType, type TypeNode } from 'graphql';
import { describe, expect, it } from 'vitest';
import { clientSchemaOf, composeSupergraph } from './supergraph.ts';
import { subgraphEndpoints, subgraphNames, subgraphSdl } from './subgraphs.ts';

// What clients see of the graph: an internal mutation is hidden (@inaccessible), and so must be
// the inputs and enums only it takes, or introspection still describes the internal interface.

describe('the schema clients see', () => {
  it('hides every field only services may use', () => {
    const visible: string[] = [];
    for (const name of subgraphNames) {
      visit(parse(subgraphSdl(name)), {
        FieldDefinition(field, _key, _parent, _path, ancestors) {
          const directives = field.directives ?? [];
          const scopes = directives.find((d) => d.name.value === 'requiresScopes')?.arguments?.[0]?.value;
          const serviceOnly = scopes?.kind === Kind.LIST && print(scopes) === '[["service"]]';
          const owner = ancestors.at(-1) as { name?: { value: string } };
          if (serviceOnly && !directives.some((d) => d.name.value === 'inaccessible')) visible.push(`${name}: ${owner.name?.value}.${field.name.value}`);
        },
      });
    }
    expect(visible).toEqual([]);
  });

  it('holds no type that no field a client may use reaches', () => {
    const schema = clientSchemaOf(composeSupergraph(subgraphEndpoints()));
    const reached = new Set<string>();
    const reach = (type: GraphQLNamedType | null | undefined) => {
      if (!type || reached.has(type.name)) return;
      reached.add(type.name);
      if (isObjectType(type) || isInterfaceType(type)) {
        for (const field of Object.values(type.getFields())) {
          reach(getNamedType(field.type));
          for (const arg of field.args) reach(getNamedType(arg.type));
        }
        for (const implemented of type.getInterfaces()) reach(implemented);
      }
      if (isUnionType(type)) for (const member of type.getTypes()) reach(member);
      if (isInputObjectType(type)) for (const field of Object.values(type.getFields())) reach(getNamedType(field.type));
    };
    for (const root of [schema.getQueryType(), schema.getMutationType(), schema.getSubscriptionType()]) reach(root);
    for (const directive of schema.getDirectives()) for (const arg of directive.args) reach(getNamedType(arg.type));
    // Implementations of a reached interface are reachable through it.
    for (const type of Object.values(schema.getTypeMap())) if (isObjectType(type) && type.getInterfaces().some((i) => reached.has(i.name))) reach(type);
    const unreached = Object.keys(schema.getTypeMap()).filter((name) => !name.startsWith('__') && !reached.has(name));
    expect(unreached).toEqual([]);
  });

  it('lets one service be down without blanking out what others answer: what a service adds to an entity it does not serve is nullable', () => {
    // An entity a subgraph cannot return from a root field is fetched from it by reference: if it
    // is down, a non-null field it adds would null out its parent (the whole order, say).
    const roots = new Map<string, Set<string>>();
    const added: { subgraph: string; type: string; field: FieldDefinitionNode }[] = [];
    for (const name of subgraphNames) {
      for (const definition of parse(subgraphSdl(name)).definitions) {
        if (definition.kind !== Kind.OBJECT_TYPE_DEFINITION && definition.kind !== Kind.OBJECT_TYPE_EXTENSION) continue;
        const type = definition.name.value;
        if (['Query', 'Mutation', 'Subscription'].includes(type)) {
          for (const field of definition.fields ?? []) roots.set(namedTypeOf(field.type), (roots.get(namedTypeOf(field.type)) ?? new Set()).add(name));
          continue;
        }
        const key = definition.directives?.find((d) => d.name.value === 'key')?.arguments?.[0]?.value;
        if (key?.kind !== Kind.STRING) continue;
        const keyFields = key.value.split(/\s+/);
        for (const field of definition.fields ?? []) if (!keyFields.includes(field.name.value)) added.push({ subgraph: name, type, field });
      }
    }
    const blanking = added
      .filter(({ subgraph, type, field }) => !roots.get(type)?.has(subgraph) && field.type.kind === Kind.NON_NULL_TYPE && !field.directives?.some((d) => ['external', 'inaccessible'].includes(d.name.value)))
      .map(({ subgraph, type, field }) => `${subgraph}: ${type}.${field.name.value}`);
    expect(added.length).toBeGreaterThan(10);
    expect(blanking).toEqual([]);
  });
});

function namedTypeOf(type: TypeNode): string {
  return type.kind === Kind.NAMED_TYPE ? type.name.value : namedTypeOf(type.type);
}
