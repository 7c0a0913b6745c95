import type { z } from "zod";
import { AppError } from "../domain/errors";

/**
 * Parse input with a shared schema; failures become VALIDATION_FAILED with the paths that failed.
 * `field` names the input when the value is a single parameter rather than a body.
 */
export function parse<S extends z.ZodType>(schema: S, value: unknown, field?: string): z.infer<S> {
  const r = schema.safeParse(value);
  if (!r.success)
    throw new AppError(
      "VALIDATION_FAILED",
      undefined,
      r.error.issues
        .slice(0, 10)
        .map((i) => ({ path: [field, ...i.path].filter((p) => p !== undefined).join("."), issue: i.code })),
    );
  return r.data;
}
