/**
 * The WeChat customer-service API, without AWS and without I/O of its own: the catalogue of operations,
 * validation, errors, the client, access tokens, the window rules and the callback crypto.
 * Lambda handlers, the local server and the n8n node all build on this module.
 */
export * from './catalogue';
export * from './client';
export * from './errors';
export * from './limits';
export * from './passthrough';
export * from './token';
export * from './transport';
export * from './validation';
export * from './window';
export * from './callback';
