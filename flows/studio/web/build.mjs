// Build the studio editor into ../static/ (package data of reelgraph.flows.studio).
//   node build.mjs            one minified production build (what `make ui` runs)
//   node build.mjs --watch    rebuild on every change, unminified, for development
//   node build.mjs --dev      one unminified build (readable names in a profiler)
import * as esbuild from "esbuild";
import { copyFile, mkdir, rm } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const outdir = join(here, "..", "static");
const watch = process.argv.includes("--watch");
const dev = watch || process.argv.includes("--dev");

const options = {
  entryPoints: { app: join(here, "src", "main.jsx") },
  bundle: true,
  outdir,
  format: "esm",
  target: ["chrome110", "firefox115", "safari16"],
  jsx: "automatic",
  minify: !dev,
  sourcemap: dev ? "inline" : false,
  legalComments: "linked",
  define: { "process.env.NODE_ENV": JSON.stringify(dev ? "development" : "production") },
  logLevel: "info",
};

await rm(outdir, { recursive: true, force: true });
await mkdir(outdir, { recursive: true });
await copyFile(join(here, "index.html"), join(outdir, "index.html"));
if (watch) {
  const context = await esbuild.context(options);
  await context.watch();
} else {
  await esbuild.build(options);
}
