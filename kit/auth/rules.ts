import {
  getNamedType,
  Kind,
  parse,
  TypeInfo,
  visit,
  visitWithTypeInfo,
  type ConstDirectiveNode,
  type DocumentNode,
  type GraphQLSchema,
} from 'graphql';
import { forbidden, hasScope, isAuthenticated, unauthenticated, type Identity } from './identity.ts';

/** Who may select a field or a type: federation's @authenticated and @requiresScopes (any one inner list, all of it). */
export interface AccessRule {
  authenticated: boolean;
  /** Alternatives: the caller needs every scope of at least one. */
  scopes?: string[][];
}

/** Rules by `Type.field` and by `Type`, read once from the schema's directives. */
export interface AccessRules {
  fields: Map<string, AccessRule>;
  types: Map<string, AccessRule>;
}

/**
 * Reads the access rules declared in SDL: a subgraph's schema.graphql or the composed
 * supergraph (composition carries @authenticated and @requiresScopes into it). Done once at start-up.
 */
export function readAccessRules(sdl: string | DocumentNode): AccessRules {
  const document = typeof sdl === 'string' ? parse(sdl) : sdl;
  const rules: AccessRules = { fields: new Map(), types: new Map() };
  for (const definition of document.definitions) {
    if (!('name' in definition) || !definition.name || !('fields' in definition)) continue;
    const typeName = definition.name.value;
    const typeRule = ruleOf(definition.directives);
    if (typeRule) rules.types.set(typeName, merge(rules.types.get(typeName), typeRule));
    for (const field of definition.fields ?? []) {
      const rule = ruleOf(field.directives);
      if (rule) rules.fields.set(`${typeName}.${field.name.value}`, merge(rules.fields.get(`${typeName}.${field.name.value}`), rule));
    }
  }
  return rules;
}

function ruleOf(directives: readonly ConstDirectiveNode[] | undefined): AccessRule | undefined {
  let rule: AccessRule | undefined;
  for (const directive of directives ?? []) {
    const name = directive.name.value;
    if (name === 'authenticated') rule = { ...rule, authenticated: true };
    if (name === 'requiresScopes') {
      const argument = directive.arguments?.find((a) => a.name.value === 'scopes');
      const scopes =
        argument?.value.kind === Kind.LIST
          ? argument.value.values.map((inner) => (inner.kind === Kind.LIST ? inner.values.flatMap((v) => (v.kind === Kind.STRING ? [v.value] : [])) : []))
          : [];
      rule = { authenticated: true, scopes: [...(rule?.scopes ?? []), ...scopes] };
    }
  }
  return rule;
}

/** Composition may meet the same type in several subgraphs: every declaration must hold. */
function merge(a: AccessRule | undefined, b: AccessRule): AccessRule {
  if (!a) return b;
  if (!a.scopes) return { authenticated: true, scopes: b.scopes };
  if (!b.scopes) return a;
  // (a1 or a2) and (b1 or b2) = every pairing.
  return { authenticated: true, scopes: a.scopes.flatMap((x) => b.scopes!.map((y) => [...new Set([...x, ...y])])) };
}

interface Requirement {
  coordinate: string;
  rule: AccessRule;
}

/**
 * Checks an operation against the rules before it runs. What an operation requires is
 * worked out once per parsed document (yoga caches documents by text), so each request
 * costs a comparison of the caller's scopes with a short list.
 */
export class AccessChecker {
  private readonly required = new WeakMap<DocumentNode, Requirement[]>();

  constructor(
    private readonly schema: GraphQLSchema,
    private readonly rules: AccessRules,
  ) {}

  /** An UNAUTHENTICATED or FORBIDDEN error naming the first field the caller may not select, or undefined. */
  check(document: DocumentNode, identity: Identity) {
    for (const { coordinate, rule } of this.requirements(document)) {
      if (!isAuthenticated(identity)) return unauthenticated(`Sign in to use ${coordinate}: it is not public.`);
      if (rule.scopes && !rule.scopes.some((all) => all.every((scope) => hasScope(identity, scope)))) {
        return forbidden(`${coordinate} needs one of these roles: ${rule.scopes.map((all) => all.join(' and ')).join(', ')}.`);
      }
    }
    return undefined;
  }

  requirements(document: DocumentNode): Requirement[] {
    let found = this.required.get(document);
    if (found) return found;
    const byCoordinate = new Map<string, AccessRule>();
    const typeInfo = new TypeInfo(this.schema);
    visit(
      document,
      visitWithTypeInfo(typeInfo, {
        Field: () => {
          const parent = typeInfo.getParentType();
          const field = typeInfo.getFieldDef();
          if (!parent || !field) return;
          const coordinate = `${parent.name}.${field.name}`;
          const fieldRule = this.rules.fields.get(coordinate);
          if (fieldRule) byCoordinate.set(coordinate, fieldRule);
          const typeName = getNamedType(field.type).name;
          const typeRule = this.rules.types.get(typeName);
          if (typeRule) byCoordinate.set(typeName, typeRule);
        },
        InlineFragment: () => {
          const type = typeInfo.getType();
          const typeRule = type && this.rules.types.get(getNamedType(type).name);
          if (typeRule) byCoordinate.set(getNamedType(type)!.name, typeRule);
        },
      }),
    );
    // Checks that need only a sign-in first, so an anonymous caller hears UNAUTHENTICATED.
    found = [...byCoordinate].map(([coordinate, rule]) => ({ coordinate, rule })).sort((a, b) => Number(!!a.rule.scopes) - Number(!!b.rule.scopes));
    this.required.set(document, found);
    return found;
  }
}
