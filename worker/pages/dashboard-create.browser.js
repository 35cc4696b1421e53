// The dashboard's "New federation" form: turns its fields into the configuration POST /v1/federations
// takes. Rounds invite the whole cohort on the complete graph with the majority threshold, the
// smallest one the platform's floors accept (docs/secure-aggregation.md), and stages stay open 120 s.
(() => {
  const STAGE_SECONDS = 120;

  /** `id inputPrice outputPrice` per line (prices in USD per million tokens). */
  function modelsFrom(text) {
    return text
      .split("\n")
      .map((line) => line.trim())
      .filter((line) => line.length > 0)
      .map((line) => {
        const [id, inputPrice, outputPrice] = line.split(/\s+/);
        const price = (value) => (value === undefined ? 0 : Number(value));
        return { id, inputPrice: price(inputPrice), outputPrice: price(outputPrice) };
      });
  }

  /** A strict majority of each client and its neighbours: all others, on the complete graph. */
  const majorityThreshold = (neighbours) => Math.floor((neighbours + 1) / 2) + 1;

  function federationConfigFrom(form) {
    const field = (name) => form.elements.namedItem(name).value.trim();
    const cohortSize = Number(field("cohortSize"));
    const clipping = Number(field("clipping"));
    return {
      name: field("name"),
      router: { kind: field("kind"), hyperparameters: {} },
      models: modelsFrom(field("models")),
      embedder: { id: field("embedderId"), dimension: Number(field("embedderDimension")) },
      roundPolicy: {
        cohortSize,
        minParticipants: Number(field("minParticipants")),
        participationFraction: 1,
        deadlines: {
          advertiseKeys: STAGE_SECONDS,
          shareKeys: STAGE_SECONDS,
          maskedInput: STAGE_SECONDS,
          unmask: STAGE_SECONDS,
        },
      },
      secureAggregation: {
        threshold: majorityThreshold(cohortSize - 1),
        neighbourDegree: "complete",
        curve: "X25519",
      },
      clipping: { min: -clipping, max: clipping },
      schedule: scheduleFrom(field),
    };
  }

  /** Manual (the owner opens rounds) or continuous (the edge's alarm does, from checked-in clients). */
  function scheduleFrom(field) {
    if (field("schedule") !== "continuous") return { kind: "manual" };
    return {
      kind: "continuous",
      minClients: Number(field("minClients")),
      maxWaitSeconds: Number(field("maxWaitSeconds")),
      retrainAfterEvaluations: Number(field("retrainAfterEvaluations")),
    };
  }

  globalThis.fedrouterCreate = { federationConfigFrom };
})();
