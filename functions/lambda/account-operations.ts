/** Lambda entry: `ANY /accounts/{appId}/{proxy+}`, every operation for one account (account-operations-handler.ts). */
import { lambdaContext } from '../context/context';
import { createAccountOperationsHandler } from './account-operations-handler';

export const handler = createAccountOperationsHandler(lambdaContext());
