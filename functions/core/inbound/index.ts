/**
 * What happens to a push once it is opened (./pipeline.ts): the handoff rule (./handoff-state.ts), keyword
 * handoff (./handoff-keywords.ts) and the events published (./events.ts), for `/callback` and n8n alike.
 */
export * from './events';
export * from './handoff-keywords';
export * from './handoff-state';
export * from './pipeline';
export * from './online-agents';
