// The public surface is deliberate: API Extractor writes a report of every exported declaration
// of each package entry point (from the emitted .d.ts, as a user's compiler sees them), and the
// checked-in reports in api/ must match. A change of the public surface is then a visible diff
// of api/*.api.md; `npm run api` accepts it.
import { Extractor, ExtractorConfig, ExtractorLogLevel } from '@microsoft/api-extractor';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../cli/build.js';

// Not under node_modules: API Extractor treats every file there as an external package.
const OUT = join(ROOT, '.api-out');
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { exports: Record<string, string | { types?: string }> };

/** Entry points from the package's exports map: subpath → .d.ts under dist/. */
const entries = Object.entries(pkg.exports).flatMap(([sub, target]) => (typeof target === 'object' && target.types ? [[sub, target.types] as const] : []));

function reportName(sub: string): string {
  return sub === '.' ? 'hip-engine' : `hip-engine-${sub.slice(2).replaceAll('/', '-')}`;
}

beforeAll(() => {
  rmSync(OUT, { recursive: true, force: true });
  const tsc = join(ROOT, 'node_modules', '.bin', 'tsc');
  for (const project of ['tsconfig.build.json', 'tsconfig.build.node.json']) {
    const r = spawnSync(tsc, ['-p', project, '--outDir', join(OUT, 'dist'), '--emitDeclarationOnly', '--declarationMap', 'false', '--sourceMap', 'false'], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
    if (r.status !== 0) throw new Error(`tsc -p ${project} failed:\n${r.stdout}\n${r.stderr}`);
  }
  // The .d.ts files resolve their imports (@noble/*, ipaddr.js) from this folder's node_modules.
  writeFileSync(join(OUT, 'package.json'), JSON.stringify({ name: 'hip-engine', version: '0.0.0', type: 'module' }));
}, 180_000);

describe('API report (API Extractor) of every entry point', () => {
  it('covers every subpath of the exports map', () => {
    expect(entries.map(([sub]) => sub)).toEqual(['.', './wire', './crypto', './crypto/node', './esp', './driver', './driver/node', './testing', './testing/plot']);
  });

  it.each(entries)('%s matches api/ (run `npm run api` to accept a deliberate change)', async (sub, types) => {
    const name = reportName(sub);
    const temp = join(OUT, 'report', name);
    mkdirSync(temp, { recursive: true });
    const config = ExtractorConfig.prepare({
      configObjectFullPath: join(OUT, 'api-extractor.json'),
      packageJsonFullPath: join(OUT, 'package.json'),
      configObject: {
        projectFolder: OUT,
        mainEntryPointFilePath: join(OUT, types),
        bundledPackages: [],
        compiler: {
          overrideTsconfig: {
            compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', lib: ['ES2022'], types: [], skipLibCheck: true, strict: true },
            files: [join(OUT, types)],
          },
          skipLibCheck: true,
        },
        apiReport: { enabled: true, reportFileName: `${name}.api.md`, reportFolder: temp, reportTempFolder: temp },
        docModel: { enabled: false },
        dtsRollup: { enabled: false },
        tsdocMetadata: { enabled: false },
        messages: {
          compilerMessageReporting: { default: { logLevel: ExtractorLogLevel.Error } },
          // A {@link} that resolves nowhere, or an exported item (class members included) without
          // a doc comment, is an error in every entry point. API Extractor resolves a {@link} in
          // every entry point whose surface includes the declaration, so a link to something
          // another subpath exports is written as `code` instead. test/meta/api-docs.test.ts
          // checks the same for the TypeDoc reference.
          extractorMessageReporting: {
            default: { logLevel: ExtractorLogLevel.None },
            'ae-unresolved-link': { logLevel: ExtractorLogLevel.Error, addToApiReportFile: false },
            'ae-undocumented': { logLevel: ExtractorLogLevel.Error, addToApiReportFile: false },
          },
          tsdocMessageReporting: { default: { logLevel: ExtractorLogLevel.None } },
        },
      },
    });
    const errors: string[] = [];
    const result = Extractor.invoke(config, {
      localBuild: true,
      showVerboseMessages: false,
      messageCallback: (m) => {
        if (m.logLevel === ExtractorLogLevel.Error) errors.push(`${m.sourceFilePath ?? ''}:${m.sourceFileLine ?? ''} ${m.messageId}: ${m.text}`);
        m.handled = true;
      },
    });
    expect(errors, errors.join('\n')).toEqual([]);
    expect(result.succeeded).toBe(true);
    const report = readFileSync(join(temp, `${name}.api.md`), 'utf8');
    // The facade shows only the public methods: none of the handlers' internal surface.
    if (sub === '.') for (const internal of ['emit(', 'drop(', 'createAssoc(', 'newSpi(', 'bindSpi(', 'EngineImpl']) expect(report).not.toContain(internal);
    await expect(report).toMatchFileSnapshot(join(ROOT, 'api', `${name}.api.md`));
  }, 120_000);
});
