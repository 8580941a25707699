#!/usr/bin/env node
/** The CDK app (cdk.json: `npx tsx infra/bin/app.ts`). Settings come from context: see infra/README.md. */
import { App } from 'aws-cdk-lib';
import { buildApp } from '../lib/app';

buildApp(new App());
