// Coverage policy (tap's coverage-map): a unit test `test/unit/<dir>/<name>.test.ts` covers
// exactly `<dir>/<name>.ts`, and tap requires 100 % of it. Pure code (translators, parsers,
// policy rules) is tested this way. Edge, end-to-end and robustness tiers cover nothing: they
// prove behaviour against real peers, not lines, so they map to null.
export default function coverageMap(testFile: string): string | null {
  const m = /^test[/\\]unit[/\\](.+)\.test\.ts$/.exec(testFile);
  return m ? `${m[1]}.ts` : null;
}
