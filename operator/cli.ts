// The operator's commands of the fedrouter command line, against any edge: `--edge` or
// FEDROUTER_EDGE (default the local `npm run dev` edge), the bearer token from FEDROUTER_TOKEN only
// (never a flag, so it stays out of shell history and process lists, and never printed). Tables for
// people, `--json` for scripts (the edge's answer as it is).
import { createHash } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import type { Command } from "commander";
import type { Federation } from "../core/wire/federation.ts";
import type { RoundSummary } from "../core/wire/rounds.ts";
import { FEDERATION_OPTIONS, federationConfig } from "./federation-config.ts";
import { bytes, columns, fields, when } from "./format.ts";
import { addOptions, optionValues, UsageError } from "./options.ts";
import * as api from "./owner-api.ts";
import { createDisplay, roundLine, trainToTheEnd, watchRound } from "./rounds.ts";

const DEFAULT_EDGE = "http://127.0.0.1:8787";

interface Globals {
  edge?: string;
  json?: boolean;
}

/** The edge and token a command talks with. */
function caller(command: Command): api.Owner {
  const { edge } = command.optsWithGlobals<Globals>();
  const edgeUrl = (edge ?? process.env.FEDROUTER_EDGE ?? DEFAULT_EDGE).replace(/\/+$/, "");
  if (!/^https?:\/\/[^/]+/.test(edgeUrl))
    throw new UsageError(`--edge / FEDROUTER_EDGE must be an http(s) URL, got "${edgeUrl}"`);
  const token = process.env.FEDROUTER_TOKEN?.trim();
  if (!token)
    throw new UsageError(
      "FEDROUTER_TOKEN is not set: export the operator's token (tenant create) or a tenant owner's token",
    );
  return { edgeUrl, token };
}

const json = (command: Command): boolean => command.optsWithGlobals<Globals>().json === true;
const print = (value: unknown) => console.log(JSON.stringify(value, null, 2));

/** The federation a command acts on: --federation, else FEDROUTER_FEDERATION. */
function federationOf(command: Command, positional?: string): string {
  const id =
    positional ?? command.opts<{ federation?: string }>().federation ?? process.env.FEDROUTER_FEDERATION;
  if (!id) throw new UsageError("name the federation: --federation <id> or FEDROUTER_FEDERATION");
  return id;
}

const withFederation = (command: Command) =>
  command.option("-f, --federation <id>", "the federation (default: FEDROUTER_FEDERATION)");

function positiveInteger(value: string, what: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1)
    throw new UsageError(`${what} must be a positive integer, got "${value}"`);
  return n;
}

/** The schedule and where it stands: "manual", or a continuous schedule's state and progress. */
function trainingText(training: Federation["training"]): string {
  const { schedule } = training;
  if (schedule.kind === "manual") return "manual (the owner starts each round)";
  return `continuous, ${training.state.replaceAll("_", " ")}: ${training.checkedIn} of ${schedule.minClients} clients checked in, ${training.newEvaluations} of ${schedule.retrainAfterEvaluations} new evaluations to retrain, ${training.trainings} training(s) done`;
}

function federationFields(f: Federation): [string, string][] {
  const { config } = f;
  const secagg = config.secureAggregation;
  const policy = config.roundPolicy;
  const hyper = Object.entries(config.router.hyperparameters ?? {}).map(([k, v]) => `${k}=${v}`);
  return [
    ["id", f.id],
    ["name", config.name],
    ["created", when(f.createdAt)],
    ["training", trainingText(f.training)],
    ["router", `${config.router.kind}${hyper.length ? ` (${hyper.join(", ")})` : ""}`],
    ["models", config.models.map((m) => `${m.id} ($${m.inputPrice}/$${m.outputPrice})`).join(", ")],
    ["embedder", `${config.embedder.id} (${config.embedder.dimension} dimensions)`],
    ["tags", config.tags?.join(", ") || "-"],
    [
      "rounds",
      `cohort ${policy.cohortSize}, at least ${policy.minParticipants} inputs, participation ${policy.participationFraction}`,
    ],
    ["secure aggregation", `threshold ${secagg.threshold}, neighbours ${secagg.neighbourDegree}`],
    ["clipping", `[${config.clipping.min}, ${config.clipping.max}]`],
    ["latest version", String(f.latestVersion)],
    ["clients", String(f.clientCount)],
    ["round in progress", f.currentRound === null ? "-" : String(f.currentRound)],
    [
      "usage",
      `${f.usage.roundsRun} rounds run, ${f.usage.roundsAborted} aborted, ${f.usage.updatesAggregated} updates, ${bytes(f.usage.bytesIngested)} in, ${f.usage.modelsServed} models served`,
    ],
  ];
}

function roundRows(rounds: RoundSummary[]): string {
  return columns(
    ["ROUND", "STAGE", "MODEL", "COHORT", "INPUTS", "DROPPED", "STARTED", "OUTCOME"],
    rounds.map((r) => [
      String(r.round),
      r.stage,
      `v${r.modelVersion}`,
      String(r.cohort.length),
      String(r.participants.maskedInput),
      String(r.dropouts),
      when(r.startedAt),
      r.outcome === null ? "-" : r.outcome.kind === "published" ? `v${r.outcome.version}` : r.outcome.code,
    ]),
  );
}

function addTenantCommands(program: Command): void {
  const tenant = program.command("tenant").description("tenants (the operator's token)");
  tenant
    .command("create")
    .description("create a tenant and print its owner token, once")
    .argument("<name>", "the tenant's name")
    .option("--updates-per-day <n>", "masked updates its federations may aggregate a day", "10000")
    .option("-q, --quiet", "print only the owner token (for `export FEDROUTER_TOKEN=$(...)`)")
    .action(async (name: string, options: { updatesPerDay: string; quiet?: boolean }, command: Command) => {
      const quota = positiveInteger(options.updatesPerDay, "--updates-per-day");
      const { created } = await api.createTenant(caller(command).edgeUrl, caller(command).token, name, quota);
      if (json(command)) return print(created);
      if (options.quiet) return console.log(created.ownerToken.token);
      console.log(`created tenant ${created.tenant.id} (${created.tenant.name}), ${quota} updates a day`);
      console.log("owner token (shown once; keep it secret, e.g. export FEDROUTER_TOKEN=<it>):");
      console.log(created.ownerToken.token);
    });
}

function addFederationCommands(program: Command): void {
  const federation = program.command("federation").description("federations (an owner's token)");
  const create = federation
    .command("create")
    .description("create a federation; version 0 is published at once");
  addOptions(create, FEDERATION_OPTIONS)
    .option("-q, --quiet", "print only the federation's id (for `export FEDROUTER_FEDERATION=$(...)`)")
    .action(async (options: { quiet?: boolean }, command: Command) => {
      const values = optionValues(command, FEDERATION_OPTIONS);
      const explicit = new Set(
        Object.keys(FEDERATION_OPTIONS).filter((flag) => {
          const option = command.options.find((o) => o.long === `--${flag}`);
          return option && command.getOptionValueSource(option.attributeName()) === "cli";
        }),
      );
      const config = await federationConfig(values, explicit);
      const created = await api.createFederation(caller(command), config);
      if (json(command)) return print(created);
      if (options.quiet) return console.log(created.id);
      console.log(
        `created federation ${created.id} (${created.config.name}): ${created.config.router.kind} router, ` +
          `${created.config.models.length} models, embedder ${created.config.embedder.id}; version ${created.latestVersion} published`,
      );
      console.log(
        `export FEDROUTER_FEDERATION=${created.id}   # what client, round and model commands act on`,
      );
    });
  federation
    .command("list")
    .description("the tenant's federations")
    .action(async (_options: unknown, command: Command) => {
      const all = await api.listFederations(caller(command));
      if (json(command)) return print(all);
      if (all.length === 0) return console.log("no federations yet: fedrouter federation create --help");
      console.log(
        columns(
          ["ID", "NAME", "ROUTER", "MODELS", "CLIENTS", "VERSION", "ROUND", "ROUNDS RUN"],
          all.map((f) => [
            f.id,
            f.config.name,
            f.config.router.kind,
            String(f.config.models.length),
            String(f.clientCount),
            `v${f.latestVersion}`,
            f.currentRound === null ? "-" : String(f.currentRound),
            String(f.usage.roundsRun),
          ]),
        ),
      );
    });
  federation
    .command("show")
    .description("a federation: configuration, latest version, clients, round in progress, usage")
    .argument("[id]", "the federation (default: FEDROUTER_FEDERATION)")
    .action(async (id: string | undefined, _options: unknown, command: Command) => {
      const found = await api.describeFederation(caller(command), federationOf(command, id));
      if (json(command)) return print(found);
      console.log(fields(federationFields(found)));
    });
  for (const [action, paused] of [
    ["pause", true],
    ["resume", false],
  ] as const)
    federation
      .command(action)
      .description(paused ? "pause training: no round opens until it is resumed" : "let rounds open again")
      .argument("[id]", "the federation (default: FEDROUTER_FEDERATION)")
      .action(async (id: string | undefined, _options: unknown, command: Command) => {
        const federationId = federationOf(command, id);
        const view = await api.setPaused(caller(command), federationId, paused);
        if (json(command)) return print(view);
        console.log(
          `federation ${federationId} ${paused ? "paused" : "resumed"}: ${trainingText(view.training)}`,
        );
      });
}

function addClientCommands(program: Command): void {
  const client = program.command("client").description("a federation's clients (an owner's token)");
  withFederation(client.command("enrol"))
    .description("enrol a client and print its token, once (with --json: the file the client starts from)")
    .option("--label <label>", "a name for people (an organisation, a device)")
    .action(async (options: { label?: string }, command: Command) => {
      const federationId = federationOf(command);
      const owner = caller(command);
      const enrolment = await api.enrolClient(owner, federationId, options.label);
      // Everything the client needs to start: createClient({ edgeUrl, federationId, token, modelPublicKey }).
      if (json(command)) return print({ edgeUrl: owner.edgeUrl, federationId, ...enrolment });
      console.log(
        `enrolled client ${enrolment.client.id}${options.label ? ` (${options.label})` : ""} in ${federationId}`,
      );
      console.log("client token (shown once; hand it to the client and keep it secret):");
      console.log(enrolment.token);
      console.log(`model public key (createClient's modelPublicKey): ${enrolment.modelPublicKey}`);
    });
  withFederation(client.command("list"))
    .description("the federation's clients, revoked ones included")
    .action(async (_options: unknown, command: Command) => {
      const clients = await api.listClients(caller(command), federationOf(command));
      if (json(command)) return print(clients);
      console.log(
        columns(
          ["ID", "LABEL", "ENROLLED", "REVOKED"],
          clients.map((c) => [c.id, c.label ?? "-", when(c.enrolledAt), when(c.revokedAt)]),
        ),
      );
    });
  withFederation(client.command("revoke"))
    .description("revoke a client's token (also in the round in progress)")
    .argument("<clientId>", "the client (cli_...)")
    .action(async (clientId: string, _options: unknown, command: Command) => {
      const revoked = await api.revokeClient(caller(command), federationOf(command), clientId);
      if (json(command)) return print(revoked);
      console.log(`revoked client ${revoked.clientId} at ${revoked.revokedAt}`);
    });
}

interface RoundOptions {
  cohort?: string;
  watch?: boolean;
  untilFinal?: boolean;
  timeout: string;
  quiet?: boolean;
}

function addRoundCommands(program: Command): void {
  const round = program
    .command("round")
    .description("a federation's rounds of secure aggregation (an owner's token)");
  withFederation(round.command("start"))
    .description("open the next round; --until-final opens one after another until the router is final")
    .option("--cohort <ids>", "exactly these clients, comma-separated (default: the edge samples the cohort)")
    .option("--watch", "follow the round until it ends, with a live bar of its stages and survivors")
    .option(
      "--until-final",
      "train to the end: open the next round as soon as one publishes (implies --watch)",
    )
    .option("--timeout <minutes>", "give up watching after this long", "60")
    .option("--quiet", "no progress output")
    .action(async (options: RoundOptions, command: Command) => {
      const federationId = federationOf(command);
      const owner = caller(command);
      const cohort = options.cohort
        ?.split(",")
        .map((id) => id.trim())
        .filter(Boolean);
      const deadline = Date.now() + positiveInteger(options.timeout, "--timeout") * 60_000;
      const display = createDisplay(options.quiet ?? false);
      try {
        if (options.untilFinal) {
          const rounds = await trainToTheEnd(owner, federationId, display, deadline, cohort);
          display.stop();
          if (json(command)) return print(rounds);
          const last = rounds.at(-1);
          console.log(
            rounds.length === 0
              ? `federation ${federationId}: the router is already final`
              : `federation ${federationId}: the router is final after ${rounds.length} rounds (version ${last?.outcome?.kind === "published" ? last.outcome.version : "?"})`,
          );
          return;
        }
        const opened = await api.openRound(owner, federationId, cohort);
        if (!options.watch) {
          if (json(command)) return print(opened);
          return console.log(
            `opened round ${opened.round} of ${federationId}: ${opened.cohort.length} clients, training from version ${opened.modelVersion}`,
          );
        }
        const ended = await watchRound(owner, federationId, opened.round, display, deadline);
        display.stop();
        if (json(command)) print(ended);
        else console.log(roundLine(ended));
        if (ended.outcome?.kind !== "published") process.exitCode = 1;
      } finally {
        display.stop();
      }
    });
  withFederation(round.command("list"))
    .description("every round with its stage, cohort, inputs summed, dropouts and outcome")
    .action(async (_options: unknown, command: Command) => {
      const rounds = await api.listRounds(caller(command), federationOf(command));
      if (json(command)) return print(rounds);
      console.log(rounds.length === 0 ? "no rounds yet: fedrouter round start" : roundRows(rounds));
    });
  withFederation(round.command("watch"))
    .description(
      "follow a round (default: the one in progress) until it ends: a live bar of stages and survivors",
    )
    .argument("[round]", "the round's number")
    .option("--timeout <minutes>", "give up after this long", "60")
    .option("--quiet", "no progress output")
    .action(async (number: string | undefined, options: RoundOptions, command: Command) => {
      const federationId = federationOf(command);
      const owner = caller(command);
      const which =
        number === undefined
          ? (await api.getRound(owner, federationId, "current")).round
          : positiveInteger(number, "round");
      const display = createDisplay(options.quiet ?? false);
      try {
        const deadline = Date.now() + positiveInteger(options.timeout, "--timeout") * 60_000;
        const ended = await watchRound(owner, federationId, which, display, deadline);
        display.stop();
        if (json(command)) print(ended);
        else console.log(roundLine(ended));
        if (ended.outcome?.kind !== "published") process.exitCode = 1;
      } finally {
        display.stop();
      }
    });
}

function addModelCommands(program: Command): void {
  const model = program
    .command("model")
    .description("a federation's published router models (an owner's token)");
  withFederation(model.command("pull"))
    .description("download a version's model file, checked against its SHA-256")
    .argument("<version>", "a version number, or latest")
    .requiredOption("--out <file>", "where to write the model file")
    .action(async (version: string, options: { out: string }, command: Command) => {
      if (version !== "latest" && !/^\d+$/.test(version))
        throw new UsageError(`<version> must be a version number or latest, got "${version}"`);
      const federationId = federationOf(command);
      const owner = caller(command);
      const versions = await api.listVersions(owner, federationId);
      const wanted =
        version === "latest" ? (await api.latestPointer(owner, federationId)).version : Number(version);
      const record = versions.find((v) => v.version === wanted);
      const file = await api.modelBytes(owner, federationId, wanted);
      const sha256 = createHash("sha256").update(file).digest("hex");
      if (record && record.sha256 !== sha256)
        throw new Error(
          `version ${wanted}'s bytes have SHA-256 ${sha256}, not the published ${record.sha256}`,
        );
      mkdirSync(dirname(options.out), { recursive: true });
      writeFileSync(options.out, file);
      const pulled = { federationId, version: wanted, bytes: file.length, sha256, out: options.out };
      if (json(command)) return print(pulled);
      console.log(
        `wrote ${options.out}: version ${wanted} of ${federationId}, ${bytes(file.length)}, sha256 ${sha256}`,
      );
    });
}

function addUsageCommand(program: Command): void {
  withFederation(program.command("usage"))
    .description(
      "the tenant's quota and today's updates, and each federation's usage ledger (an owner's token)",
    )
    .action(async (_options: unknown, command: Command) => {
      const owner = caller(command);
      const only = command.opts<{ federation?: string }>().federation ?? process.env.FEDROUTER_FEDERATION;
      const tenant = await api.describeTenant(owner);
      const federations = only
        ? [await api.describeFederation(owner, only)]
        : await api.listFederations(owner);
      if (json(command))
        return print({
          tenant,
          federations: federations.map((f) => ({ id: f.id, name: f.config.name, usage: f.usage })),
        });
      console.log(
        `tenant ${tenant.id} (${tenant.name}): ${tenant.updatesToday} of ${tenant.quota.updatesPerDay} updates used today (UTC)`,
      );
      console.log(
        columns(
          ["FEDERATION", "NAME", "ROUNDS", "ABORTED", "UPDATES", "INGESTED", "MODELS SERVED"],
          federations.map((f) => [
            f.id,
            f.config.name,
            String(f.usage.roundsRun),
            String(f.usage.roundsAborted),
            String(f.usage.updatesAggregated),
            bytes(f.usage.bytesIngested),
            String(f.usage.modelsServed),
          ]),
        ),
      );
    });
}

/** Adds the operator's commands and their shared options (--edge, --json) to the fedrouter program. */
export function addOperatorCommands(program: Command): void {
  program
    .option(
      "--edge <url>",
      `the edge to talk to (default: FEDROUTER_EDGE, else ${DEFAULT_EDGE}); the token is FEDROUTER_TOKEN`,
    )
    .option("--json", "print the edge's answers as JSON, for scripts");
  addTenantCommands(program);
  addFederationCommands(program);
  addClientCommands(program);
  addRoundCommands(program);
  addModelCommands(program);
  addUsageCommand(program);
}
