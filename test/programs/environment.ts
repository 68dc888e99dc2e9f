/**
 * The test environment: Node's, except that a suite needing a program that
 * is missing (see `needs` in jest.config.js) fails before it runs, with one
 * failure that names the program and how to install it. Every other suite
 * runs as usual.
 */
import type { EnvironmentContext, JestEnvironmentConfig } from '@jest/environment';
import NodeEnvironment from 'jest-environment-node';
import { relative } from 'node:path';
import { isAvailable, missingMessage, type Program } from './programs';

/** `testEnvironmentOptions.needs`: suites (a regular expression on their path) and the program they need. */
interface Need {
  readonly tests: string;
  readonly program: Program;
}

export default class TestEnvironment extends NodeEnvironment {
  private readonly missing: string | undefined;

  constructor(config: JestEnvironmentConfig, context: EnvironmentContext) {
    super(config, context);
    const needs = (config.projectConfig.testEnvironmentOptions.needs ?? []) as readonly Need[];
    const suite = relative(config.projectConfig.rootDir, context.testPath);
    const need = needs.find(({ tests, program }) => new RegExp(tests).test(suite) && !isAvailable(program));
    this.missing = need && missingMessage(need.program, suite);
  }

  override async setup(): Promise<void> {
    if (this.missing) {
      // The message alone: a stack and code frame would point into this file, which is not what went wrong.
      const error = new Error(this.missing);
      error.stack = this.missing;
      throw error;
    }
    await super.setup();
  }
}
