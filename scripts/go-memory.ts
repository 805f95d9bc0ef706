/**
 * FerretDB's Go garbage collector, unless the environment sets GOGC or GOMEMLIMIT (then what it
 * sets is all there is, with Go's meaning: GOGC=off alone never collects): GOGC=400 lets the heap
 * grow to five times what is live before a collection instead of twice, and GOMEMLIMIT=1GiB
 * makes it collect harder near that size whatever GOGC says. Almost everything FerretDB
 * allocates is one request's documents, decoded and thrown away: under `bench:pipeline` its
 * collector took 10-12% of its CPU with Go's defaults and 2.4-4.1% with these, for a largest RSS of
 * 106-128 MB instead of 62-67 (docs/benchmarks.md, "2026-12-01 (last)").
 */
export function goMemorySettings(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  if (env.GOGC || env.GOMEMLIMIT) return env;
  return { ...env, GOGC: '400', GOMEMLIMIT: '1GiB' };
}
