/** Every test runs against real servers started once per run by tests/support/global-setup.ts. */
module.exports = {
  preset: 'ts-jest',
  testEnvironment: 'node',
  roots: ['<rootDir>/tests'],
  testMatch: ['**/*.test.ts'],
  globalSetup: '<rootDir>/tests/support/global-setup.ts',
  globalTeardown: '<rootDir>/tests/support/global-teardown.ts',
  testTimeout: 120000,
  transform: { '^.+\\.[tj]s$': ['<rootDir>/tests/support/esm-interop-transform.js', { tsconfig: 'tsconfig.test.json' }] },
  // Jest on Node 20 cannot require() ES modules; these dependencies ship only ESM, so Jest
  // compiles them to CommonJS (plain Node and tsx load them natively).
  transformIgnorePatterns: ['/node_modules/(?!(content-disposition|cookie|email-reply-parser|file-type|strtok3|token-types|uint8array-extras|@tokenizer|@borewit|sanitize-html|htmlparser2|domhandler|domutils|dom-serializer|entities|domelementtype|html-to-text|@selderee|selderee|parseley|leac|peberminta|deepmerge)/)'],
};
