#!/usr/bin/env node
// The fedrouter command line: the experiment harness's commands (`experiment`, `table`, `embed`)
// and the operator's commands against an edge (`tenant`, `federation`, `client`, `round`, `model`,
// `usage`). Exit codes: 0 success, 1 failure, 2 bad flags or input.
import { Command, CommanderError } from "commander";
import { addOperatorCommands } from "../operator/cli.ts";
import { UsageError } from "../operator/options.ts";
import { EdgeRequestError } from "../operator/owner-api.ts";
import { addExperimentCommands } from "./commands.ts";
import { DataError } from "./data/errors.ts";

function program(): Command {
  const fedrouter = new Command("fedrouter")
    .description("federated learning of LLM routers: experiments, and operating an edge")
    // Commander prints nothing itself: every error goes through main's one format and exit code.
    .exitOverride()
    .configureOutput({ writeErr: () => {}, outputError: () => {} })
    .showSuggestionAfterError();
  addExperimentCommands(fedrouter);
  addOperatorCommands(fedrouter);
  return fedrouter;
}

/** Commander's "error: unknown option '--x'" as the project's messages read: "Unknown option '--x'". */
function commanderMessage(error: CommanderError): string {
  const message = error.message.replace(/^error: /, "");
  return message.charAt(0).toUpperCase() + message.slice(1);
}

async function main(argv: string[]): Promise<number> {
  const fedrouter = program();
  try {
    if (argv.length === 0) {
      console.log(fedrouter.helpInformation());
      return 0;
    }
    await fedrouter.parseAsync(argv, { from: "user" });
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version end here too, with exit code 0 and their text already printed.
      if (error.exitCode === 0) return 0;
      console.error(`fedrouter: ${commanderMessage(error)}`);
      console.error("run `fedrouter --help` for the commands, `fedrouter <command> --help` for its options");
      return 2;
    }
    if (error instanceof EdgeRequestError) {
      // The edge's stable code and its message; the token is never part of either.
      const status = error.status === undefined ? "no answer" : `HTTP ${error.status}`;
      console.error(`fedrouter: ${error.code ?? "network"}: ${error.edgeMessage} (${status})`);
      return 1;
    }
    const usage =
      error instanceof UsageError || (error as { code?: string }).code?.startsWith("ERR_PARSE_ARGS");
    console.error(`fedrouter: ${(error as Error).message}`);
    if (usage) console.error("run `fedrouter <command> --help` for its options");
    else if (!(error instanceof DataError) && !(error as { foreseen?: boolean }).foreseen)
      console.error((error as Error).stack);
    return usage || error instanceof DataError ? 2 : 1;
  }
}

process.exitCode = await main(process.argv.slice(2));
