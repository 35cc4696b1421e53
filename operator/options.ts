// Command options as one declarative table per command, in node:util parseArgs's shape (type,
// multiple, short, default) plus what help shows, so a flag is one line to add. Commander parses
// them; `optionValues` hands them back under their dashed names, as parseArgs would.
import { type Command, Option } from "commander";

/** Bad flags or values: the command line exits with 2. */
export class UsageError extends Error {
  override name = "UsageError";
}

export interface OptionSpec {
  type: "string" | "boolean";
  /** Repeatable: every value, in order. */
  multiple?: boolean;
  short?: string;
  default?: string | boolean;
  /** The value's name in help (`--data <dir>`); default "value". */
  value?: string;
  description: string;
}

export type OptionTable = Readonly<Record<string, OptionSpec>>;

/** The parsed values of a table, keyed by flag name as parseArgs returns them. */
export type OptionValues<T extends OptionTable> = {
  -readonly [K in keyof T]: T[K] extends { type: "boolean" }
    ? boolean
    : T[K] extends { multiple: true }
      ? string[] | undefined
      : T[K] extends { default: string }
        ? string
        : string | undefined;
};

const collect = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), value];

/** Adds every option of `table` to `command`. */
export function addOptions(command: Command, table: OptionTable): Command {
  for (const [name, spec] of Object.entries(table)) {
    const flags = `${spec.short ? `-${spec.short}, ` : ""}--${name}${spec.type === "string" ? ` <${spec.value ?? "value"}>` : ""}`;
    const option = new Option(flags, spec.description);
    if (spec.multiple) option.argParser(collect);
    if (spec.default !== undefined) option.default(spec.default);
    command.addOption(option);
  }
  return command;
}

/** The values commander parsed for `table`'s options, under their dashed names. */
export function optionValues<T extends OptionTable>(command: Command, table: T): OptionValues<T> {
  const parsed = command.opts();
  const values: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(table)) {
    const option = command.options.find((o) => o.long === `--${name}`);
    const value = option ? parsed[option.attributeName()] : undefined;
    values[name] = spec.type === "boolean" ? value === true : value;
  }
  return values as OptionValues<T>;
}

/** `--set name=value` pairs: numbers where the value reads as one, true/false, else the word. */
export function hyperparameterSettings(pairs: readonly string[]): Record<string, number | string | boolean> {
  const settings: Record<string, number | string | boolean> = {};
  for (const pair of pairs) {
    const at = pair.indexOf("=");
    if (at <= 0) throw new UsageError(`--set takes name=value, got "${pair}"`);
    const value = pair.slice(at + 1).trim();
    const parsed = Number(value);
    settings[pair.slice(0, at).trim()] =
      value === "true"
        ? true
        : value === "false"
          ? false
          : value !== "" && Number.isFinite(parsed)
            ? parsed
            : value;
  }
  return settings;
}
