/**
 * The logger and metrics every handler shares, in a file of their own: functions that need only these
 * (the webhook fan-out and delivery) then do not bundle the whole handler context, whose WeChat client
 * brings the catalogue of every operation with it (docs/bundles.md).
 *
 * @example
 * ```ts
 * const logger = createLogger();
 * const metrics = createMetrics();
 * metrics.addMetric('Sends', MetricUnit.Count, 1);
 * metrics.publishStoredMetrics(); // publishes nothing when nothing was counted
 * ```
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';

/** The logger every handler shares. Tokens, secrets and AES keys are never passed to it. */
export function createLogger(): Logger {
  return new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME || 'wechat-kf' });
}

/**
 * Metrics that publish only when something was counted: Powertools warns "No application metrics to
 * publish" on every empty publish, which filled the log with one line per request.
 */
class QuietMetrics extends Metrics {
  override publishStoredMetrics(): this {
    return this.hasStoredMetrics() ? super.publishStoredMetrics() : this;
  }
}

/** The metrics every handler shares (namespace `WeChatKf`). */
export function createMetrics(): Metrics {
  return new QuietMetrics({
    namespace: process.env.POWERTOOLS_METRICS_NAMESPACE || 'WeChatKf',
    serviceName: process.env.POWERTOOLS_SERVICE_NAME || 'wechat-kf',
  });
}
