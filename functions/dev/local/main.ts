/**
 * `npm start`: the whole product on 127.0.0.1:PORT (default 3000). See docs/configuration.md for the variables.
 */
import './quiet';
import { bannerLines } from './banner';
import { logEvents } from './event-log';
import { startLocal } from './server';

async function main() {
  const product = await startLocal({ sandboxPort: process.env.SANDBOX_PORT ? undefined : 3100 });
  console.log(bannerLines(product, process.env).join('\n'));

  logEvents(product.events, (line) => console.log(line));

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`\n${signal}: stopping`);
    await product.stop();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

main().catch((error) => {
  console.error(`npm start failed: ${(error as Error).message}`);
  process.exit(1);
});
