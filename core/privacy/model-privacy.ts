// The cumulative (epsilon, delta) a version's model file carries in its metadata, so that whoever
// holds the file (an SDK, an auditor) reads what the rounds behind it spent without asking the API.
import type { ModelFile } from "../model-file.ts";
import { type PrivacySpent, privacySpentSchema } from "../wire/privacy.ts";

/** The metadata key of the spend. */
const KEY = "privacy";

/** `file` with its spend in the metadata. */
export function withModelPrivacy(file: ModelFile, spent: PrivacySpent): ModelFile {
  return { ...file, meta: { ...file.meta, [KEY]: spent } };
}

/**
 * The spend a model file states; undefined when it states none (a federation without a budget).
 * Throws RangeError on a malformed statement: a file that claims a spend must claim a valid one.
 */
export function modelPrivacy(file: Pick<ModelFile, "meta">): PrivacySpent | undefined {
  const stated = file.meta[KEY];
  if (stated === undefined) return undefined;
  const parsed = privacySpentSchema.safeParse(stated);
  if (!parsed.success)
    throw new RangeError(`the model file's privacy spend is malformed: ${parsed.error.message}`);
  return parsed.data;
}
