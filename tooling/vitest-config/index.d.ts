import type { TestProjectInlineConfiguration, UserWorkspaceConfig } from 'vitest/config';

export declare function twampProject(
  name: string,
  test?: TestProjectInlineConfiguration['test'],
): UserWorkspaceConfig;
