// The experiment harness's commands of the fedrouter command line: `experiment` runs the paper's
// protocol and reports, `table` prints again the tables of a run written before, `embed` fills the
// embedding cache. Their flags are the tables of command-options.ts (one line each); what they do is in
// run-commands.ts, imported when one runs.
import type { Command } from "commander";
import { addOptions, optionValues, UsageError } from "../operator/options.ts";
import {
  EMBED_OPTIONS,
  EXPERIMENT_OPTIONS,
  PRIVACY_EXPERIMENT_OPTIONS,
  PRIVACY_OPTIONS,
} from "./command-options.ts";

/** Adds `experiment`, `table`, `embed` and `privacy` to the fedrouter program. */
export function addExperimentCommands(program: Command): void {
  const run = program
    .command("experiment")
    .description(
      "run the paper's protocol (the federated, local and centralised routers and the baselines) and report",
    );
  addOptions(run, EXPERIMENT_OPTIONS).action(async () =>
    (await import("./run-commands.ts")).experiment(optionValues(run, EXPERIMENT_OPTIONS)),
  );
  program
    .command("table")
    .description(
      "print again the tables `experiment` printed for the results JSON it wrote (--out), also from files with the keys' old spelling (centralized, personalized)",
    )
    .argument("[results.json...]", "a results file of a standard or high-het run")
    .action(async (paths: string[]) => {
      const [path, ...extra] = paths;
      if (path === undefined || extra.length > 0) throw new UsageError("table takes one results JSON file");
      await (await import("./run-commands.ts")).table(path);
    });
  const fill = program
    .command("embed")
    .description(
      "fill the embedding cache for a data set's queries under each embedder named, in one pass on a worker per core (embedders differing only in how they combine windows share the windows' vectors)",
    );
  addOptions(fill, EMBED_OPTIONS).action(async () =>
    (await import("./run-commands.ts")).embed(optionValues(fill, EMBED_OPTIONS)),
  );
  const privacy = program
    .command("privacy")
    .description(
      "print the epsilon for which n steps of the Poisson-subsampled Gaussian mechanism are (epsilon, delta)-DP, by the RDP accountant with dp_accounting's default orders",
    );
  addOptions(privacy, PRIVACY_OPTIONS).action(async () =>
    console.log(
      (await import("./privacy-command.ts")).epsilonCommand({
        ...optionValues(privacy, PRIVACY_OPTIONS),
        json: privacy.optsWithGlobals().json === true,
      }),
    ),
  );
  const privateRun = privacy
    .command("experiment")
    .description(
      "train the federated router without noise and under client-level DP at each epsilon, and print the global test AUC beside the baselines",
    );
  addOptions(privateRun, PRIVACY_EXPERIMENT_OPTIONS).action(async () =>
    console.log(
      await (await import("./privacy-experiment-command.ts")).privacyExperimentCommand(
        optionValues(privateRun, PRIVACY_EXPERIMENT_OPTIONS),
      ),
    ),
  );
  privacy
    .command("plot")
    .description(
      "plot AUC against epsilon for result files `privacy experiment` wrote (--out), every router and seed in one SVG, and print them as one table",
    )
    .requiredOption("--plot <file.svg>", "the SVG to write")
    .argument("<results.json...>", "results of `privacy experiment --out`")
    .action(async (paths: string[], options: { plot: string }) =>
      console.log((await import("./privacy-experiment-command.ts")).privacyPlotCommand(paths, options.plot)),
    );
}
