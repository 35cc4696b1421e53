// Pages of the list routes (rounds, versions): `?limit=n&before=k` answers the n highest-numbered
// items below k, oldest first, and a Link header (RFC 8288) names the next, older page while one
// exists. Without either parameter a list route answers the whole list, as it always has.
import type { Context } from "hono";
import { z } from "zod";
import type { ListPage } from "../durable-objects/federation-store.ts";

/** Most items one page holds. */
export const MAX_PAGE = 500;

export const pageQuerySchema = z.object({
  limit: z.coerce
    .number()
    .int()
    .min(1)
    .max(MAX_PAGE)
    .optional()
    .meta({ description: `Most items to answer (1 to ${MAX_PAGE}); default: all` }),
  before: z.coerce
    .number()
    .int()
    .min(0)
    .optional()
    .meta({ description: "Only items numbered below this (the cursor of the next page); default: none" }),
});

export type PageQuery = z.infer<typeof pageQuerySchema>;

export const pageHeaders = z.object({
  link: z
    .string()
    .optional()
    .meta({ description: 'The next, older page: `<path?limit=n&before=k>; rel="next"` (only with limit)' }),
});

/** What to ask the object for: one item more than the page, to know whether an older page exists. */
export function pageRequest(query: PageQuery): ListPage {
  return {
    ...(query.before === undefined ? {} : { before: query.before }),
    ...(query.limit === undefined ? {} : { limit: query.limit + 1 }),
  };
}

/** Trims the extra item and, when there was one, names the next page in a Link header. */
export function pageResponse<T>(
  c: Context,
  query: PageQuery,
  items: T[],
  numberOf: (item: T) => number,
): T[] {
  if (query.limit === undefined || items.length <= query.limit) return items;
  const page = items.slice(items.length - query.limit);
  const next = new URL(c.req.url);
  next.searchParams.set("limit", String(query.limit));
  next.searchParams.set("before", String(numberOf(page[0]!)));
  c.header("Link", `<${next.pathname}${next.search}>; rel="next"`);
  return page;
}
