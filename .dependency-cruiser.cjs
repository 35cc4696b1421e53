// Dependency rules between the project's rooms (`npm run deps`): no cycles, and no room reaching
// into another's internals. Each rule says why it exists; a room is one regular expression below,
// so renaming a folder is a one-line change.

/** Shared by the edge and the SDK: wire schemas, router math, fixed-point, secure-aggregation primitives. */
const CORE = "^core/";
/** The Hono worker: HTTP routes over the Durable Objects. */
const WORKER = "^worker/";
const DURABLE_OBJECTS = "^durable-objects/";
/** All of the client SDK (source, scripts, examples), and its source alone: what ships in the package. */
const SDK_ANY = "^client-sdk/";
const SDK = "^client-sdk/src/";
/** The SDK's public entries, as its package.json "exports" lists them. */
const SDK_PUBLIC = "^client-sdk/src/(index|file-store)\\.ts$";
/** The MLP trainer and predictor on onnxruntime, shared by the SDK and the harness. */
const ORT = "^ort/";
/** Sentence encoders on TF.js (USE lite), loaded lazily by the SDK and the harness. */
const TFJS = "^tfjs/";
const EXPERIMENTS = "^experiments/";
const BENCH = "^bench/";
/** The demo (to be renamed demo/: change this line only). */
const DEMO = "^demo/";
const TESTS = "^test/";
const SCRIPTS = "^(scripts|client-sdk/scripts)/";
const ONNXRUNTIME = "^node_modules/onnxruntime-";
const TENSORFLOW = "^node_modules/@tensorflow/";
const WORKERD = "^cloudflare:";

module.exports = {
  forbidden: [
    {
      name: "no-circular",
      comment:
        "A cycle means two modules are one module in two files: neither can be read, tested or moved " +
        "without the other, and ESM evaluation order inside a cycle leaves bindings undefined at load time.",
      severity: "error",
      from: {},
      to: { circular: true },
    },
    {
      name: "not-to-unresolvable",
      comment:
        "An import that resolves to no file is a typo or a missing dependency. cloudflare:* modules " +
        "are provided by workerd at run time, so they are exempt.",
      severity: "error",
      from: {},
      to: { couldNotResolve: true, pathNot: WORKERD },
    },

    // core/: the hallway every room walks through, so it depends on no room.
    {
      name: "core-not-to-rooms",
      comment:
        "core/ is shared by the edge, the SDK and the harness; importing any of them would drag that " +
        "room (and its platform) into the others. Only core/ and npm packages.",
      severity: "error",
      from: { path: CORE },
      to: {
        pathNot: [CORE, "^node_modules/"],
        dependencyTypesNot: ["core"],
        couldNotResolve: false,
      },
    },
    {
      name: "core-no-platform",
      comment:
        "core/ runs in workerd, in browsers and in Node alike, so it imports no platform module: no " +
        "node:* builtins, no cloudflare:* and no onnxruntime. (DOM globals are caught by " +
        "tsconfig.worker.json, which type-checks core/ without the DOM lib.)",
      severity: "error",
      from: { path: CORE },
      to: { path: [WORKERD, ONNXRUNTIME] },
    },
    {
      name: "core-no-node-builtins",
      comment:
        "core/ runs in workerd and browsers too, where node:* builtins do not exist (or only in part).",
      severity: "error",
      from: { path: CORE },
      to: { dependencyTypes: ["core"] },
    },

    // worker/: HTTP over the Durable Objects.
    {
      name: "worker-not-to-clients",
      comment:
        "The edge bundle holds the API and the Durable Objects only: no SDK, no onnxruntime, no " +
        "harness, demo, tests or scripts (they would end up deployed, or create a cycle with the clients).",
      severity: "error",
      from: { path: WORKER },
      to: { path: [SDK_ANY, ORT, TFJS, EXPERIMENTS, BENCH, DEMO, TESTS, SCRIPTS, ONNXRUNTIME, TENSORFLOW] },
    },
    {
      name: "worker-durable-objects-by-stub",
      comment:
        "Routes talk to a Durable Object through its RPC stub, so they import its types only. Only " +
        "worker/index.ts imports Durable Object classes, to export them to the runtime. Logic both " +
        "need (hashes, ids, names) belongs in core/.",
      severity: "error",
      from: { path: WORKER, pathNot: "^worker/index\\.ts$" },
      to: { path: DURABLE_OBJECTS, dependencyTypesNot: ["type-only"] },
    },

    // durable-objects/: stores and routes; core decides.
    {
      name: "durable-objects-only-core",
      comment:
        "A Durable Object stores state and calls core/; it never depends on the HTTP layer above it " +
        "(not even for types: shared shapes live in core/wire) nor on any client.",
      severity: "error",
      from: { path: DURABLE_OBJECTS },
      to: {
        path: [WORKER, SDK_ANY, ORT, TFJS, EXPERIMENTS, BENCH, DEMO, TESTS, SCRIPTS, ONNXRUNTIME, TENSORFLOW],
      },
    },

    // client-sdk/src: what ships to users' apps and browsers.
    {
      name: "sdk-only-core-and-ort",
      comment:
        "The SDK ships to browsers and apps: it imports core/, ort/ and tfjs/ only, never edge code (its " +
        "bundle must not contain hono, wrangler or a Durable Object), the harness or the demo.",
      severity: "error",
      from: { path: SDK },
      to: {
        path: [
          WORKER,
          DURABLE_OBJECTS,
          EXPERIMENTS,
          BENCH,
          DEMO,
          TESTS,
          SCRIPTS,
          "^client-sdk/examples/",
          WORKERD,
          "^node_modules/(hono|@hono|wrangler)/",
        ],
      },
    },
    {
      name: "sdk-examples-use-public-entries",
      comment: "The examples are what users copy: they import the SDK as a user would, through its entries.",
      severity: "error",
      from: { path: "^client-sdk/examples/" },
      to: { path: SDK_ANY, pathNot: SDK_PUBLIC },
    },

    // ort/: the onnxruntime trainer and predictor.
    {
      name: "ort-only-core",
      comment:
        "ort/ wraps onnxruntime for the SDK and the harness, so it depends on core/ and onnxruntime " +
        "only; depending on the SDK or the harness would tie the two together again.",
      severity: "error",
      from: { path: ORT },
      to: { path: [WORKER, DURABLE_OBJECTS, SDK_ANY, EXPERIMENTS, BENCH, DEMO, TESTS, SCRIPTS, WORKERD] },
    },
    {
      name: "tfjs-only-core",
      comment:
        "tfjs/ holds the TF.js encoders for the SDK and the harness, so it depends on core/ and TF.js " +
        "only, like ort/; it reaches Node's builtins through process.getBuiltinModule, never by import, " +
        "so browser bundles of the SDK resolve it.",
      severity: "error",
      from: { path: TFJS },
      to: {
        path: [WORKER, DURABLE_OBJECTS, SDK_ANY, ORT, EXPERIMENTS, BENCH, DEMO, TESTS, SCRIPTS, WORKERD],
      },
    },
    {
      name: "tfjs-no-node-builtins",
      comment: "tfjs/ ships in the SDK's browser bundle: a static node:* import would break it.",
      severity: "error",
      from: { path: TFJS },
      to: { dependencyTypes: ["core"] },
    },
    {
      name: "core-not-to-tensorflow",
      comment: "TF.js is megabytes of JavaScript and WASM: core/ and the edge never import it.",
      severity: "error",
      from: { path: [CORE, WORKER, DURABLE_OBJECTS] },
      to: { path: [TFJS, TENSORFLOW] },
    },
    {
      name: "edge-not-to-ort",
      comment:
        "onnxruntime is megabytes of WASM and native code: nothing that core/ or the edge imports may reach it.",
      severity: "error",
      from: { path: [CORE, WORKER, DURABLE_OBJECTS] },
      to: { path: ORT },
    },

    // experiments/ and bench/: the harness.
    {
      name: "harness-not-to-sdk",
      comment:
        "The harness measures core/'s routers and ort/ directly, so its numbers do not depend on the " +
        "SDK's client code; what both need lives in core/ or ort/.",
      severity: "error",
      from: { path: [EXPERIMENTS, BENCH] },
      to: { path: SDK_ANY },
    },
    {
      name: "harness-not-to-edge-or-demo",
      comment:
        "The harness runs in Node on its own: the edge is not its dependency, and the demo builds on " +
        "the harness, not the other way round.",
      severity: "error",
      from: { path: [EXPERIMENTS, BENCH] },
      to: { path: [WORKER, DURABLE_OBJECTS, DEMO, TESTS, SCRIPTS] },
    },
    {
      name: "experiments-not-to-bench",
      comment: "bench/ times the experiments; the experiments must not depend on their own benchmark.",
      severity: "error",
      from: { path: EXPERIMENTS },
      to: { path: BENCH },
    },

    // demo/: a user of the SDK and the harness.
    {
      name: "demo-sdk-public-entries",
      comment:
        "The demo uses the SDK as an app would, through its public entries (index.ts, file-store.ts), " +
        "so it shows the real API and keeps the SDK free to change its internals.",
      severity: "error",
      from: { path: DEMO },
      to: { path: SDK_ANY, pathNot: SDK_PUBLIC },
    },
    {
      name: "demo-not-to-edge-internals",
      comment:
        "The demo talks to the edge over HTTP (it starts wrangler by path, not by import) and uses " +
        "onnxruntime through the SDK; it imports core/, experiments/ and the SDK's entries only.",
      severity: "error",
      from: { path: DEMO },
      to: { path: [WORKER, DURABLE_OBJECTS, ORT, TFJS, BENCH, TESTS, SCRIPTS] },
    },

    // Leaves: nothing imports the demo or the tests.
    {
      name: "nothing-imports-demo",
      comment: "The demo is a leaf: only its own files and its tests import it.",
      severity: "error",
      from: { pathNot: [DEMO, TESTS] },
      to: { path: DEMO },
    },
    {
      name: "nothing-imports-tests",
      comment: "Test helpers and fixtures are not production code; shipping code must not depend on them.",
      severity: "error",
      from: { pathNot: TESTS },
      to: { path: TESTS },
    },
    {
      name: "shipped-code-not-to-dev-dependencies",
      comment: "The edge, the SDK, ort/ and core/ ship; a devDependency is not installed where they run.",
      severity: "error",
      from: { path: [CORE, WORKER, DURABLE_OBJECTS, SDK, ORT, TFJS] },
      to: { dependencyTypes: ["npm-dev"], dependencyTypesNot: ["type-only"] },
    },
  ],
  options: {
    // Resolve as TypeScript does here: explicit ".ts" extensions, moduleResolution "Bundler".
    tsConfig: { fileName: "tsconfig.json" },
    // Keep `import type` edges: a type-only cycle still ties two modules together, and the
    // worker-durable-objects-by-stub rule tells type imports from value imports.
    tsPreCompilationDeps: true,
    doNotFollow: { path: "^node_modules/" },
    exclude: { path: "^(docs|dist|client-sdk/dist|\\.wrangler)/" },
    enhancedResolveOptions: {
      exportsFields: ["exports"],
      conditionNames: ["import", "node", "default"],
      extensions: [".ts", ".js", ".mjs", ".d.ts"],
    },
  },
};
