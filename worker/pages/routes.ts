// Pages for people: the dashboard at /, the API reference at /v1/docs, and their bundled assets.
// Everything is served from the worker (no CDN): the Content-Security-Policy forbids other origins.
import { Hono } from "hono";
import uplotJs from "uplot/dist/uPlot.iife.min.js";
import uplotCss from "uplot/dist/uPlot.min.css";
import type { AppEnv } from "../env.ts";
import dashboardJs from "./dashboard.browser.js";
import dashboardHtml from "./dashboard.html";
import dashboardChartsJs from "./dashboard-charts.browser.js";
import dashboardCreateJs from "./dashboard-create.browser.js";
import referenceJs from "./reference.browser.js";
import referenceHtml from "./reference.html";

export const pages = new Hono<AppEnv>();

const CSP =
  "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

pages.use("*", async (c, next) => {
  await next();
  c.header("Content-Security-Policy", CSP);
  c.header("X-Content-Type-Options", "nosniff");
  c.header("Referrer-Policy", "no-referrer");
});

const ASSETS: Record<string, { body: string; type: string }> = {
  "uplot.min.js": { body: uplotJs, type: "text/javascript; charset=utf-8" },
  "uplot.min.css": { body: uplotCss, type: "text/css; charset=utf-8" },
  "dashboard.js": { body: dashboardJs, type: "text/javascript; charset=utf-8" },
  "dashboard-charts.js": { body: dashboardChartsJs, type: "text/javascript; charset=utf-8" },
  "dashboard-create.js": { body: dashboardCreateJs, type: "text/javascript; charset=utf-8" },
  "reference.js": { body: referenceJs, type: "text/javascript; charset=utf-8" },
};

pages.get("/", (c) => c.html(dashboardHtml));
pages.get("/v1/docs", (c) => c.html(referenceHtml));
pages.get("/assets/:name", (c) => {
  const asset = ASSETS[c.req.param("name")];
  if (!asset) return c.notFound();
  c.header("Content-Type", asset.type);
  c.header("Cache-Control", "public, max-age=3600");
  return c.body(asset.body);
});
pages.get("/favicon.ico", (c) => c.body(null, 204));
