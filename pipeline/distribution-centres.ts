/**
 * The distribution centres stock can be kept in. A closed list, read once at start-up:
 * a receipt or stock change for a centre that does not exist would create bins nobody
 * can ever ship from. `DISTRIBUTION_CENTRES=LHR1,FRA1,...` replaces it.
 */
const defaults = ['LHR1', 'FRA1'];

export const distributionCentres: ReadonlySet<string> = new Set(
  (process.env.DISTRIBUTION_CENTRES?.split(',') ?? defaults).map((code) => code.trim().toUpperCase()).filter(Boolean),
);
