import { join } from 'node:path';

/*
 * What model_signing leaves out of a signature by default: git metadata, which changes with every clone and
 * is never part of a model, and the signature file itself (it cannot sign itself).
 */

/** Paths model_signing ignores by default (`--ignore-git-paths`), relative to the model. */
export const GIT_IGNORE_PATHS: readonly string[] = ['.git', '.gitattributes', '.github', '.gitignore'];

/** The git paths of a model directory, absolute. */
export function gitIgnorePaths(modelRoot: string): string[] {
  return GIT_IGNORE_PATHS.map((p) => join(modelRoot, p));
}
