/**
 * The one operation runner (run.ts) and its give-back rule (give-back.ts): prepare → gate → call →
 * recover → give back → record, for every surface.
 */
export * from './run';
export * from './give-back';
