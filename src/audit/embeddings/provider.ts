/*
 * Where row embeddings come from (`--embeddings`): a provider turns texts into vectors. Three exist:
 * the built-in hashed embedding (no model, no network), an OpenAI-compatible `/v1/embeddings` endpoint
 * the user names by URL, and a local model folder the user points to (ONNX model + tokenizer.json).
 * Nothing is downloaded: an endpoint is called only at the URL given, a model is read only from the
 * folder given. The audit collects vectors while the dataset streams (row-embeddings.ts) and hands them
 * to dataset/embedding-outliers.
 */

/** Turns texts into vectors; one vector per text, in order. */
export interface EmbeddingProvider {
  /** For reports: `hashed (512 dimensions)`, `endpoint http://127.0.0.1:8080/v1 (model m)`, `local ./minilm`. */
  readonly name: string;
  /** Fails fast (AntidoteError, exit 2) when the provider cannot work at all: a bad URL, a broken model folder. */
  check(): Promise<void>;
  embed(texts: readonly string[]): Promise<Float32Array[]>;
  /** Releases what the provider holds (an inference session). */
  close?(): Promise<void>;
}
