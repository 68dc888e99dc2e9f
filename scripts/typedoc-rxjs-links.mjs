// TypeDoc plugin for `npm run docs` (typedoc.config.mjs): resolves the bare
// `{@link take}`-style links in RxJS's own doc comments to rxjs.dev.
//
// `PullSource` extends RxJS's `Observable`, so its page shows the members it
// inherits (`forEach`, `toPromise`, ...) with RxJS's comments, which link to
// RxJS functions by bare name. TypeDoc cannot resolve those from this
// project, and `externalSymbolLinkMappings` only applies to package-qualified
// links (`{@link rxjs!take}`), so without this every build would warn.
const rxjsFunctions = ['take', 'takeWhile', 'takeUntil', 'timeout', 'firstValueFrom', 'lastValueFrom'];

/** @param {import('typedoc').Application} app */
export function load(app) {
  app.converter.addUnknownSymbolResolver((ref) => {
    if (ref.moduleSource !== undefined && ref.moduleSource !== 'rxjs') return undefined;
    const path = ref.symbolReference?.path;
    if (path?.length !== 1 || ref.symbolReference.meaning) return undefined;
    const [{ path: name }] = path;
    return rxjsFunctions.includes(name) ? `https://rxjs.dev/api/index/function/${name}` : undefined;
  });
}
