// Runs the benchmark suites: `npm run bench` (all) or `npm run bench -- codec crypto`.
// Each suite module exports `run(): Promise<void>` and prints its own table and ratios.
// Performance is measured here, never asserted in tests.
const SUITES = ['codec', 'crypto', 'esp', 'engine', 'scale', 'dos', 'locators'] as const;

async function main(): Promise<void> {
  const wanted = process.argv.slice(2);
  const chosen = wanted.length > 0 ? wanted : [...SUITES];
  for (const name of chosen) {
    if (!(SUITES as readonly string[]).includes(name)) {
      console.error(`unknown bench suite ${JSON.stringify(name)}; choose from ${SUITES.join(', ')}`);
      process.exitCode = 2;
      return;
    }
    let mod: { run: () => Promise<void> };
    try {
      mod = (await import(`./${name}.js`)) as { run: () => Promise<void> };
    } catch (e) {
      if (wanted.length === 0 && (e as { code?: string }).code === 'ERR_MODULE_NOT_FOUND') continue;
      throw e;
    }
    console.log(`\n## bench/${name}\n`);
    await mod.run();
  }
}

await main();
