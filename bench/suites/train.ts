// MLP router training-step throughput (ONNX on WASM and native, the TypeScript reference,
// TensorFlow.js on WASM) and inference latency, on the paper's shape, one core.
import { ADAMW_DEFAULTS } from "../../core/mlp/adamw.ts";
import { allocateBatch, fillDropoutMask, type MlpBatch } from "../../core/mlp/batch.ts";
import { initialParameters, type MlpShape, parameterLayout } from "../../core/mlp/layout.ts";
import type { StepEngine } from "../../core/mlp/local-training.ts";
import { predictMlp } from "../../core/mlp/predict.ts";
import { referenceStepEngine } from "../../core/mlp/reference-trainer.ts";
import type { MlpRouter } from "../../core/mlp/router-file.ts";
import { normal, seededRandom } from "../../core/random.ts";
import { createOrtPredictor, createOrtStepSession, loadOrtRuntime } from "../../ort/index.ts";
import type { BenchEntry, BenchSuite } from "../entry.ts";
import { inferenceFlops, trainingStepFlops } from "../train/flops.ts";
import { createTfjsStep, initTfjsWasm } from "../train/tfjs-step.ts";

const SHAPE: MlpShape = { dimension: 768, hidden: 512, modelCount: 11 };
const BATCH = 128;
/** Time spent measuring each training implementation (after warm-up). */
const BUDGET_MS = Number(process.env.TRAIN_BENCH_BUDGET_MS ?? 4000);

function syntheticBatch(): MlpBatch {
  const random = seededRandom(7);
  const batch = allocateBatch(SHAPE, BATCH);
  for (let i = 0; i < batch.features.length; i++) batch.features[i] = 0.05 * normal(random);
  for (let k = 0; k < batch.observed.length; k++) {
    // About one observed cell in three, as in sparse client data.
    if (random() < 0.33) {
      batch.observed[k] = 1;
      batch.quality[k] = random() < 0.6 ? 1 : 0;
      batch.cost[k] = normal(random);
    }
  }
  fillDropoutMask(batch.dropout1, 0.1, random);
  fillDropoutMask(batch.dropout2, 0.1, random);
  return batch;
}

/**
 * Median milliseconds per step over a time budget, after `warmup` untimed steps. The median,
 * not the mean, so that other processes on a shared machine disturb the figure less.
 */
async function timeSteps(
  step: () => unknown,
  warmup: number,
  budget = BUDGET_MS,
  maxSteps = 1000,
): Promise<{ ms: number; steps: number }> {
  for (let i = 0; i < warmup; i++) await step();
  const start = performance.now();
  const times: number[] = [];
  while (times.length < maxSteps && (times.length < 3 || performance.now() - start < budget)) {
    const t0 = performance.now();
    await step();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return { ms: percentile(times, 0.5), steps: times.length };
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? Number.NaN;
}

async function latencies(run: () => Promise<unknown>, count: number): Promise<{ p50: number; p99: number }> {
  for (let i = 0; i < 20; i++) await run();
  const times: number[] = [];
  for (let i = 0; i < count; i++) {
    const start = performance.now();
    await run();
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  return { p50: percentile(times, 0.5), p99: percentile(times, 0.99) };
}

export const trainSuite: BenchSuite = {
  name: "train",
  async run({ log }) {
    const entries: BenchEntry[] = [];
    const flops = trainingStepFlops(SHAPE, BATCH);
    const shapeNote = `d=${SHAPE.dimension} H=${SHAPE.hidden} M=${SHAPE.modelCount} batch ${BATCH}, 1 thread`;
    log(`step = ${(flops / 1e6).toFixed(1)} MFLOP (matrix products, 2B(2dH+3H^2+6MH)); ${shapeNote}`);
    const layout = parameterLayout(SHAPE);
    const params = initialParameters(layout, seededRandom(1));
    const batch = syntheticBatch();
    const gflops: Record<string, number> = {};

    const record = (key: string, label: string, ms: number, steps: number) => {
      gflops[key] = flops / (ms * 1e6);
      log(`${label}: ${ms.toFixed(2)} ms/step (median of ${steps} steps)`);
      entries.push(
        { name: `train.${key}.gflops`, value: gflops[key], unit: "GFLOP/s", note: `${label}; ${shapeNote}` },
        { name: `train.${key}.samples_per_s`, value: (BATCH * 1000) / ms, unit: "samples/s", note: label },
        { name: `train.${key}.step_ms`, value: ms, unit: "ms", note: label },
      );
    };

    const wasm = await loadOrtRuntime({ backend: "wasm", threads: 1 });
    const runOrt = async (engine: StepEngine) => timeSteps(() => engine.step(batch), 3);
    const wasmSession = await createOrtStepSession(wasm, SHAPE, ADAMW_DEFAULTS);
    const w = await runOrt(wasmSession.engine(params));
    record("onnx_wasm", "ONNX step graph, onnxruntime-web WASM (SIMD)", w.ms, w.steps);

    try {
      const native = await loadOrtRuntime({ backend: "native", threads: 1 });
      const nativeSession = await createOrtStepSession(native, SHAPE, ADAMW_DEFAULTS);
      const n = await runOrt(nativeSession.engine(params));
      record("onnx_native", "ONNX step graph, onnxruntime-node CPU", n.ms, n.steps);
    } catch (error) {
      log(`onnxruntime-node unavailable: ${(error as Error).message}`);
    }

    const reference = referenceStepEngine(params, {
      shape: SHAPE,
      costStats: {
        mu: new Float64Array(SHAPE.modelCount),
        sigma: new Float64Array(SHAPE.modelCount).fill(1),
      },
      epochs: 1,
      batchSize: BATCH,
      dropout: 0.1,
      optimizer: ADAMW_DEFAULTS,
    });
    const r = await timeSteps(() => reference.step(batch), 1, BUDGET_MS, 4);
    record("reference_ts", "plain TypeScript reference (float64)", r.ms, r.steps);

    try {
      await initTfjsWasm(1);
      const tfjs = createTfjsStep(SHAPE, params, ADAMW_DEFAULTS);
      const t = await timeSteps(() => tfjs.step(batch), 2);
      tfjs.dispose();
      record("tfjs_wasm", "TensorFlow.js, tfjs-backend-wasm, variableGrads + AdamW", t.ms, t.steps);
    } catch (error) {
      log(`tfjs-backend-wasm failed: ${(error as Error).message}`);
    }

    const ratio = (a: string, b: string) => (gflops[a] ?? Number.NaN) / (gflops[b] ?? Number.NaN);
    const vsTfjs = ratio("onnx_wasm", "tfjs_wasm");
    const vsNative = ratio("onnx_wasm", "onnx_native");
    entries.push(
      {
        name: "train.onnx_wasm.vs_tfjs_wasm",
        value: vsTfjs,
        unit: "x",
        note: `target >= 3: ${vsTfjs >= 3 ? "met" : "missed"}`,
      },
      {
        name: "train.onnx_wasm.vs_native",
        value: vsNative,
        unit: "ratio",
        note: `target >= 0.35: ${vsNative >= 0.35 ? "met" : "missed"}`,
      },
    );

    // Inference: the standalone inference graph through the SDK predictor (USD cost included).
    const router: MlpRouter = {
      shape: SHAPE,
      params,
      costStats: {
        mu: new Float64Array(SHAPE.modelCount).fill(0.001),
        sigma: new Float64Array(SHAPE.modelCount).fill(0.5),
      },
      models: Array.from({ length: SHAPE.modelCount }, (_, j) => `model-${j}`),
      embedder: { id: "bench", dimension: SHAPE.dimension },
    };
    const predictor = await createOrtPredictor(router, { runtime: wasm });
    const features = batch.features;
    const single = await latencies(() => predictor.predict(features.subarray(0, SHAPE.dimension), 1), 2000);
    const singleNote = `onnxruntime-web WASM, 1 thread, ${(inferenceFlops(SHAPE) / 1e6).toFixed(2)} MFLOP per query`;
    entries.push(
      {
        name: "infer.mlp.single.p50_ms",
        value: single.p50,
        unit: "ms",
        note: `${singleNote}; target < 0.3: ${single.p50 < 0.3 ? "met" : "missed"}`,
      },
      { name: "infer.mlp.single.p99_ms", value: single.p99, unit: "ms", note: singleNote },
    );
    for (const rows of [32, 128]) {
      const lat = await latencies(
        () => predictor.predict(features.subarray(0, rows * SHAPE.dimension), rows),
        300,
      );
      entries.push(
        {
          name: `infer.mlp.batch${rows}.p50_ms`,
          value: lat.p50,
          unit: "ms",
          note: `${rows} queries per call, WASM`,
        },
        {
          name: `infer.mlp.batch${rows}.p99_ms`,
          value: lat.p99,
          unit: "ms",
          note: `${rows} queries per call, WASM`,
        },
        {
          name: `infer.mlp.batch${rows}.per_query_ms`,
          value: lat.p50 / rows,
          unit: "ms",
          note: "p50 / batch size",
        },
      );
    }
    const ts = await latencies(async () => predictMlp(router, features.subarray(0, SHAPE.dimension), 1), 200);
    entries.push({
      name: "infer.mlp.single_reference_ts.p50_ms",
      value: ts.p50,
      unit: "ms",
      note: "TypeScript reference, for comparison",
    });
    return entries;
  },
};
