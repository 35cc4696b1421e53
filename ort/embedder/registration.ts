// An ONNX encoder as the embedder registry takes it: a model name (`onnx:<name>`) and a factory
// from a windowing to an embedder. Nothing is read until the factory is first called, the files
// are read once, and each windowing's embedder is built once, so a client that rebuilds its
// federation's embedder again and again loads the encoder a single time.
//   const { model, factory } = onnxEmbedderRegistration({ source: { folder } });
//   registerEmbedder(model, factory);
import type { Windowing } from "../../core/embedder/id.ts";
import { type EncoderFiles, readEncoderFiles } from "./encoder-source.ts";
import {
  buildOnnxEmbedder,
  encoderName,
  ONNX_MODEL_PREFIX,
  type OnnxEmbedder,
  type OnnxEmbedderOptions,
  resolveWindowing,
} from "./onnx-embedder.ts";

export interface OnnxEmbedderRegistration {
  /** `onnx:<name>`, the model part of the ids this encoder's embedders have. */
  model: string;
  /** The embedder for a windowing (the options' windowing, else the encoder's default, when none is asked). */
  factory(windowing?: Windowing): Promise<OnnxEmbedder>;
}

export function onnxEmbedderRegistration(options: OnnxEmbedderOptions): OnnxEmbedderRegistration {
  const name = encoderName(options.source, options.name);
  let files: Promise<EncoderFiles> | null = null;
  const embedders = new Map<string, Promise<OnnxEmbedder>>();
  return {
    model: `${ONNX_MODEL_PREFIX}${name}`,
    async factory(asked) {
      // A failed read (a folder not there yet) is retried on the next call, not cached.
      files ??= readEncoderFiles(options.source).catch((error: unknown) => {
        files = null;
        throw error;
      });
      const read = await files;
      const windowing = resolveWindowing(read, asked ?? options.windowing);
      const key = `${windowing.tokens}-${windowing.combine}`;
      let embedder = embedders.get(key);
      if (!embedder) {
        embedder = buildOnnxEmbedder(read, name, windowing, options);
        embedders.set(key, embedder);
        // Likewise a failed load (a missing runtime, a broken graph).
        embedder.catch(() => embedders.delete(key));
      }
      return embedder;
    },
  };
}
