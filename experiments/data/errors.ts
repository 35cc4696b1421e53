// Errors of the data loaders, with stable codes the CLI turns into clear messages.
export class DataError extends Error {
  override name = "DataError";
  readonly code: "not_found" | "no_files" | "malformed" | "unknown_format";
  constructor(code: DataError["code"], message: string) {
    super(message);
    this.code = code;
  }
}
