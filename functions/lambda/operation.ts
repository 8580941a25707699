/**
 * Lambda entry shared by every catalogue operation: the CDK construct deploys it once per operation, and
 * OPERATION_NAME says which one this function serves (see functions.ts).
 */
import { lambdaContext } from '../context/context';
import { OPERATION_ENV } from './functions';
import { createOperationHandler } from './operation-handler';

export const handler = createOperationHandler(process.env[OPERATION_ENV] ?? '', lambdaContext());
