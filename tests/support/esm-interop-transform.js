/**
 * ts-jest, plus the rewrite it lacks for ES-module dependencies compiled to CommonJS:
 * `const require = createRequire(import.meta.url)` (email-reply-parser) is dropped, since
 * CommonJS already has `require`, and any other `import.meta.url` becomes the file's URL.
 */
const { TsJestTransformer } = require('ts-jest');

class EsmInteropTransformer extends TsJestTransformer {
  process(source, filePath, options) {
    const patched = source.includes('import.meta.url')
      ? source
          .replace(/^\s*const require = createRequire\(import\.meta\.url\);?\s*$/m, '')
          .replace(/import\.meta\.url/g, 'require("url").pathToFileURL(__filename).href')
      : source;
    return super.process(patched, filePath, options);
  }
  getCacheKey(source, filePath, options) {
    return super.getCacheKey(source + '\n//esm-interop-v2', filePath, options);
  }
}

module.exports = { createTransformer: (config) => new EsmInteropTransformer(config) };
