/**
 * Where the graph answers, as the start banner says it. GraphiQL is served only outside
 * production (NODE_ENV=production turns it off), so the banner offers it only then.
 */
export function graphqlBannerLine(port: number, env: NodeJS.ProcessEnv): string {
  const url = `http://localhost:${port}/graphql`;
  return env.NODE_ENV === 'production' ? `  GraphQL:   ${url} (POST; GraphiQL is off in production)` : `  GraphiQL:  ${url}`;
}
