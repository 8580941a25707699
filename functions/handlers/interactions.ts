/** Lambda entry: POST /interactions and GET /interactions/{openid}. */
import { lambdaContext } from './context';
import { createInteractionsHandler } from './interactions-handler';

export const handler = createInteractionsHandler(lambdaContext());
