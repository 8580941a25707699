/** Lambda entry: WeChat's server push, GET and POST /callback. */
import { createCallbackHandler } from './callback-handler';
import { lambdaContext } from '../context/context';

export const handler = createCallbackHandler(lambdaContext());
