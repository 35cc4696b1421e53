// Taking part in one round (docs/edge-api.md, "Taking part in a round"): find the round whose
// cohort holds this client, fetch the model version it trains against, compute the contribution
// from the stored evaluations, then answer each stage of secure aggregation. Only the masked
// vector and the protocol's keys and sealed shares leave the client.
import type { Embedder } from "../../../core/embedder/embedder.ts";
import { type EmbedderInfo, tagsOf } from "../../../core/model-file.ts";
import { modelPrivacy } from "../../../core/privacy/model-privacy.ts";
import { weakerPrivacy } from "../../../core/privacy/round-privacy.ts";
import { type Random, seededRandom } from "../../../core/random.ts";
import type { LocalCompute } from "../../../core/routers/kind.ts";
import { type PrivacyFloors, roundBelowFloors } from "../../../core/secagg/index.ts";
import type { PrivacySpec, PrivacySpent } from "../../../core/wire/privacy.ts";
import { type ClientRound, ROUND_STAGES, type RoundStage } from "../../../core/wire/rounds.ts";
import type { EdgeApi, RoundAddress, RoundMessage } from "../edge.ts";
import { FedRouterError } from "../errors.ts";
import type { ModelSync } from "../model/sync.ts";
import type { EvaluationStore } from "../store/store.ts";
import { computeContribution, isFinal } from "./contribution.ts";
import { Deadline } from "./deadline.ts";
import { encodeForRound } from "./private-encoding.ts";
import { type OutgoingMessage, type ProtocolStep, SecureAggregationSession } from "./secure-aggregation.ts";
import { buildTrainingSet } from "./training-set.ts";

/** What participate() reports as it goes, in order. */
export type ParticipationStage =
  | "waiting_for_round"
  | "model"
  | "training"
  | ProtocolStep
  | "waiting_for_outcome"
  | "done";

export interface ProgressEvent {
  stage: ParticipationStage;
  /** The round, once found. */
  round?: number;
  detail?: string;
}

export interface ParticipateOptions {
  /**
   * Take part in this round number; it fails if the round ended or this client is not in its
   * cohort. Default: the next round (current or future) whose cohort holds this client.
   */
  round?: number;
  /** Randomness of local training (batches, dropout). Default: seeded from crypto.getRandomValues. */
  random?: Random;
  /** Fault drill: go silent after sending this stage's message. Default: take part to the end. */
  stopAfter?: "advertise_keys" | "share_keys" | "masked_input";
  /** Called at each step. Default: none. */
  onProgress?: (event: ProgressEvent) => void;
  /** Stops waiting and any request in flight (then the error's code is `aborted`). Default: none. */
  signal?: AbortSignal;
  /** Gives up after this long (code `timeout`). Default 900000 ms (15 minutes). */
  timeoutMs?: number;
  /** After the unmask answer, wait for the round's outcome (published version or abort). Default true. */
  waitForOutcome?: boolean;
}

export const PARTICIPATE_DEFAULTS = { timeoutMs: 900_000, waitForOutcome: true } as const;

export interface ParticipationResult {
  round: number;
  /** The model version the contribution was computed against. */
  modelVersion: number;
  /** The protocol messages this client sent, in order. */
  stages: ProtocolStep[];
  /** Distinct queries (rows) trained on. */
  examples: number;
  /** Stored evaluations left out because the federation does not route to their model. */
  skipped: number;
  /** Contribution values outside the federation's clipping range, clipped before encoding. */
  clipped: number;
  /** Whether this client clipped its contribution and added its share of privacy noise. */
  noised: boolean;
  /** What the versions up to the one trained against had spent of the privacy budget (with one). */
  privacySpent?: PrivacySpent;
  /** Set when `stopAfter` made the client go silent. */
  stoppedAfter?: ParticipateOptions["stopAfter"];
  /** The round's outcome, when waited for (waitForOutcome). */
  outcome?: ClientRound["outcome"];
}

/** What participate() needs from the client object. */
export interface ParticipationContext {
  clientId: string;
  edge: EdgeApi;
  models: ModelSync;
  store: EvaluationStore;
  /** The federation's embedder (loaded once per client), or undefined when none can be built. */
  embedderFor(info: EmbedderInfo): Promise<Embedder | undefined>;
  /** Local training (onnxruntime), loaded when a kind first needs it. */
  compute(): LocalCompute;
  pollIntervalMs: number;
  /** How long the edge may hold a poll (0: poll every pollIntervalMs). */
  longPollMs: number;
  /** The least this client accepts from a round (the client's `privacyFloors` option). */
  privacyFloors: PrivacyFloors;
  /**
   * The differential-privacy budget the federation declared at creation (read once from the edge,
   * then held), or undefined when it declared none. A round must apply at least that.
   */
  declaredPrivacy(signal?: AbortSignal): Promise<PrivacySpec | undefined>;
}

/** The stage whose message each awaited server message opens. */
const STAGE_OF: Record<string, RoundStage> = {
  neighbour_keys: "share_keys",
  forwarded_shares: "masked_input",
  consistency_request: "consistency_check",
  unmask_request: "unmask",
};

function cryptoSeededRandom(): Random {
  return seededRandom(crypto.getRandomValues(new Uint32Array(1))[0]!);
}

/**
 * `invitation`: the round as a check-in just showed it (start()'s loop), so that it need not be
 * asked for again.
 */
export async function participate(
  context: ParticipationContext,
  options: ParticipateOptions,
  invitation?: ClientRound,
): Promise<ParticipationResult> {
  const deadline = new Deadline(options.timeoutMs ?? PARTICIPATE_DEFAULTS.timeoutMs, options.signal);
  try {
    return await run(context, options, deadline, invitation);
  } catch (error) {
    throw deadline.translate(error);
  } finally {
    deadline.dispose();
  }
}

async function run(
  context: ParticipationContext,
  options: ParticipateOptions,
  deadline: Deadline,
  invitation: ClientRound | undefined,
): Promise<ParticipationResult> {
  const { edge, clientId } = context;
  const progress = (stage: ParticipationStage, round?: number, detail?: string) =>
    options.onProgress?.({ stage, ...(round !== undefined ? { round } : {}), ...(detail ? { detail } : {}) });

  progress("waiting_for_round");
  const summary =
    invitation &&
    invitation.round === options.round &&
    invitation.inCohort &&
    invitation.stage === "advertise_keys"
      ? invitation
      : await findRound(context, options.round, deadline);
  const round = summary.round;
  const config = summary.secureAggregation;
  // Judged before any training or message: a round below the floors gets nothing from this client.
  const below = roundBelowFloors(
    {
      threshold: config.threshold,
      neighbourDegree: config.neighbourDegree,
      clients: Math.min(config.maxClients, summary.cohortSize),
    },
    context.privacyFloors,
  );
  if (below) throw new FedRouterError("unsafe_round", `round ${round} refused: ${below}`);
  const declared = await context.declaredPrivacy(deadline.signal);
  const privacy = summary.privacy;
  // Without a declared budget, a round's own noise is still checked to be split over no more
  // clients than its threshold (against itself, nothing else can be weaker).
  const weaker = declared
    ? weakerPrivacy(privacy, declared, config.threshold)
    : privacy && weakerPrivacy(privacy, privacy, config.threshold);
  if (weaker) throw new FedRouterError("unsafe_round", `round ${round} refused: ${weaker}`);

  progress("model", round, `version ${summary.modelVersion}`);
  const model = await context.models.version(summary.modelVersion, deadline.signal, summary.model);
  deadline.check();
  const spent = privacySpentOf(model.file, model.version);
  if (declared && spent && spent.epsilon > declared.epsilon)
    throw new FedRouterError(
      "unsafe_round",
      `round ${round} refused: version ${model.version} states epsilon ${spent.epsilon} spent, past the declared budget of ${declared.epsilon}`,
    );
  const evaluations = await readStore(context.store);
  const { set, skipped } = await buildTrainingSet(
    evaluations,
    model.file.models,
    model.file.embedder,
    await context.embedderFor(model.file.embedder),
    tagsOf(model.file),
  );
  progress("training", round, `${set.n} queries`);
  const contribution = await computeContribution(
    model.file,
    set,
    options.random ?? cryptoSeededRandom(),
    config.vectorLength,
    context.compute,
  );
  // Weight 1: the edge sums contributions, and the algorithms carry their weights inside. With
  // privacy, clipped and noised before masking (private-encoding.ts).
  const encoded = encodeForRound(model.file, contribution, config, privacy);
  deadline.check();

  const result: ParticipationResult = {
    round,
    modelVersion: summary.modelVersion,
    stages: [],
    examples: set.n,
    skipped,
    clipped: encoded.report.clippedLow + encoded.report.clippedHigh,
    noised: privacy !== undefined,
    ...(spent ? { privacySpent: spent } : {}),
  };
  const session = new SecureAggregationSession(clientId, context.privacyFloors);
  // The Round this client talks to: in a sharded round its shard's, which the round view names.
  const at: RoundAddress = { round, shard: summary.shard ?? null };
  // The next message, when the edge sent it with the receipt of the last one (a long poll).
  let pending: RoundMessage | undefined;
  const send = async (message: OutgoingMessage): Promise<boolean> => {
    // After unmask there is nothing more to answer: no reason to hold the receipt.
    const waitMs = message.stage === "unmask" || options.stopAfter === message.stage ? 0 : context.longPollMs;
    pending = await edge.send(at, message, deadline.signal, waitMs);
    result.stages.push(message.stage);
    progress(message.stage, round);
    if (options.stopAfter !== message.stage) return false;
    result.stoppedAfter = options.stopAfter;
    return true;
  };
  const next = async <T extends RoundMessage["type"]>(type: T) => {
    const held = pending;
    pending = undefined;
    if (held?.type === type) return held as Extract<RoundMessage, { type: T }>;
    return awaitMessage(context, at, type, deadline);
  };

  if (await send(await session.advertiseKeys(config))) return result;
  if (await send(await session.shareKeys(await next("neighbour_keys")))) return result;
  if (await send(await session.maskedInput(await next("forwarded_shares"), encoded.vector))) return result;
  await send(await session.consistencyCheck(await next("consistency_request")));
  await unmask(
    context,
    at,
    deadline,
    () => next("unmask_request"),
    (request) => session.unmask(request),
    send,
  );

  if (options.waitForOutcome ?? PARTICIPATE_DEFAULTS.waitForOutcome) {
    progress("waiting_for_outcome", round);
    result.outcome = await awaitOutcome(context, round, deadline);
  }
  progress("done", round, result.outcome ? JSON.stringify(result.outcome) : undefined);
  return result;
}

/** The spend a version's model file states, read as an `integrity` error when malformed. */
function privacySpentOf(file: Parameters<typeof modelPrivacy>[0], version: number): PrivacySpent | undefined {
  try {
    return modelPrivacy(file);
  } catch (error) {
    throw new FedRouterError("integrity", `model version ${version}: ${(error as Error).message}`, {
      cause: error,
    });
  }
}

async function readStore(store: EvaluationStore) {
  try {
    return await store.all();
  } catch (error) {
    if (error instanceof FedRouterError) throw error;
    throw new FedRouterError("store", `cannot read the evaluations: ${(error as Error).message}`, {
      cause: error,
    });
  }
}

/** Polls until the wanted round (or, without one, the next round holding this client) is open. */
async function findRound(
  context: ParticipationContext,
  wanted: number | undefined,
  deadline: Deadline,
): Promise<ClientRound> {
  const { edge } = context;
  let checkedFinal = false;
  for (;;) {
    deadline.check();
    const current = await edge.currentRound(deadline.signal);
    if (wanted !== undefined && current && current.round > wanted) {
      const past = await edge.round(wanted, deadline.signal);
      throw new FedRouterError("round", `round ${wanted} is over (${past.stage})`);
    }
    if (current && (wanted === undefined || current.round === wanted)) {
      const member = current.inCohort;
      if (member && current.stage === "advertise_keys") return current;
      if (wanted !== undefined)
        throw new FedRouterError(
          "round",
          member
            ? `round ${wanted} is past advertise_keys (${current.stage}): too late to join`
            : `this client is not in the cohort of round ${wanted}`,
        );
    }
    if (!current && wanted !== undefined) await failIfOver(context, wanted, deadline);
    if (!current && !checkedFinal) {
      // No round runs: if the latest model is final none ever will, so say so instead of waiting.
      // A newer version held back (a grown router still learning) means training goes on.
      checkedFinal = true;
      await context.models.sync();
      const latest = context.models.current!;
      if (isFinal(latest.file) && !context.models.pending)
        throw new FedRouterError("round", `training has finished: version ${latest.version} is final`);
    }
    await deadline.sleep(context.pollIntervalMs);
  }
}

/** Fails when the wanted round exists and has ended (a 404 means it has not been opened yet). */
async function failIfOver(context: ParticipationContext, wanted: number, deadline: Deadline): Promise<void> {
  let past: ClientRound;
  try {
    past = await context.edge.round(wanted, deadline.signal);
  } catch (error) {
    if (error instanceof FedRouterError && error.status === 404) return;
    throw error;
  }
  if (past.outcome) throw new FedRouterError("round", `round ${wanted} is over (${past.stage})`);
}

/** Polls the round's message route until the awaited message arrives. */
async function awaitMessage<T extends RoundMessage["type"]>(
  context: ParticipationContext,
  at: RoundAddress,
  type: T,
  deadline: Deadline,
): Promise<Extract<RoundMessage, { type: T }>> {
  const expected = ROUND_STAGES.indexOf(STAGE_OF[type]!);
  const { round } = at;
  for (;;) {
    const asked = Date.now();
    const message = await context.edge.message(at, deadline.signal, context.longPollMs);
    if (message.type === type) return message as Extract<RoundMessage, { type: T }>;
    if (message.type === "round_aborted")
      throw new FedRouterError("round", `round ${round} was aborted: ${message.code}: ${message.message}`);
    if (message.stage === "aborted") throw new FedRouterError("round", `round ${round} was aborted`);
    if (ROUND_STAGES.indexOf(message.stage) > expected)
      throw new FedRouterError(
        "round",
        `round ${round} moved on to ${message.stage} without this client (it answered too late)`,
      );
    await pollAgain(context, asked, deadline);
  }
}

/**
 * Answers the unmask request. The edge closes the unmask stage as soon as it holds t shares of
 * every secret it must rebuild, so a slower client may find the stage closed before or while it
 * answers: the round did not need it, and that is no failure (it aborted: that still is).
 */
async function unmask(
  context: ParticipationContext,
  at: RoundAddress,
  deadline: Deadline,
  awaitRequest: () => Promise<Extract<RoundMessage, { type: "unmask_request" }>>,
  answer: (request: Extract<RoundMessage, { type: "unmask_request" }>) => Promise<OutgoingMessage>,
  send: (message: OutgoingMessage) => Promise<boolean>,
): Promise<void> {
  const closedWithoutUs = async () => {
    // In a sharded round the view shows this client's shard: its stage is the one that closed.
    const summary = await context.edge.round(at.round, deadline.signal);
    return summary.stage === "done";
  };
  let request: Extract<RoundMessage, { type: "unmask_request" }>;
  try {
    request = await awaitRequest();
  } catch (error) {
    if (error instanceof FedRouterError && error.code === "round" && (await closedWithoutUs())) return;
    throw error;
  }
  try {
    await send(await answer(request));
  } catch (error) {
    if (error instanceof FedRouterError && error.status === 409 && (await closedWithoutUs())) return;
    throw error;
  }
}

async function awaitOutcome(
  context: ParticipationContext,
  round: number,
  deadline: Deadline,
): Promise<ClientRound["outcome"]> {
  for (;;) {
    const asked = Date.now();
    const summary = await context.edge.round(round, deadline.signal, context.longPollMs);
    if (summary.outcome) return summary.outcome;
    await pollAgain(context, asked, deadline);
  }
}

/**
 * Before polling again: nothing after a long poll the edge held (it answered only when its wait
 * ran out), the poll interval after one it answered at once (an edge that does not hold polls).
 */
async function pollAgain(context: ParticipationContext, asked: number, deadline: Deadline): Promise<void> {
  if (!heldFully(context.longPollMs, asked)) await deadline.sleep(context.pollIntervalMs);
}

/** Whether a long poll of `longPollMs` asked at `asked` was held (most of) its time. */
export function heldFully(longPollMs: number, asked: number): boolean {
  return longPollMs > 0 && Date.now() - asked >= longPollMs / 2;
}
