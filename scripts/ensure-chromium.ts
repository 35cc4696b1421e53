// Makes sure Debian's Chromium is present for the browser tests (playwright-core drives it; no
// browser is ever downloaded). Installs it with apt-get when running as root on Debian.
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";

export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

function main(): number {
  if (existsSync(CHROMIUM)) return 0;
  const root = process.getuid?.() === 0;
  if (!root || !existsSync("/usr/bin/apt-get")) {
    console.error(
      `browser tests need Chromium at ${CHROMIUM}: install Debian's package (apt-get install chromium) or set CHROMIUM_PATH`,
    );
    return 1;
  }
  console.error("installing Debian's chromium for the browser tests ...");
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  execFileSync("apt-get", ["update", "-qq"], { stdio: "inherit", env });
  execFileSync("apt-get", ["install", "-y", "-qq", "--no-install-recommends", "chromium"], {
    stdio: "inherit",
    env,
  });
  return existsSync(CHROMIUM) ? 0 : 1;
}

process.exitCode = main();
