// Context tags at the SDK's calls: route() and record() take a query's tags as a list of strings,
// checked where the app passes them; rows are built from the federation's vocabulary in core.
import { MAX_TAG_LENGTH, MAX_TAGS } from "../../core/routers/tags.ts";
import { requireArgument } from "./errors.ts";

/**
 * Checks a call's tags: absent, or a list of at most MAX_TAGS non-empty strings of at most
 * MAX_TAG_LENGTH characters. Tags outside the federation's vocabulary are allowed (and ignored).
 */
export function checkTags(tags: unknown, call: string): asserts tags is string[] | undefined {
  requireArgument(
    tags === undefined ||
      (Array.isArray(tags) &&
        tags.length <= MAX_TAGS &&
        tags.every((tag) => typeof tag === "string" && tag.length > 0 && tag.length <= MAX_TAG_LENGTH)),
    `${call}: tags must be a list of at most ${MAX_TAGS} non-empty strings of at most ${MAX_TAG_LENGTH} characters`,
  );
}
