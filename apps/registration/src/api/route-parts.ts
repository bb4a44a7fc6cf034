/**
 * Pieces every admin API route declaration shares: its security schemes, a JSON content block and
 * the `{id}` path parameter.
 *
 * @module
 */
import { z } from "zod";

/** Admin routes take a bearer token or a session cookie. */
export const adminSecurity = [{ bearer: [] }, { session: [] }];

/**
 * An OpenAPI `content` block for a JSON body or response.
 *
 * @param schema the body's schema
 * @returns the content block
 */
export const jsonContent = <T extends z.ZodType>(schema: T) => ({
  content: { "application/json": { schema } },
});

/** The `{id}` path parameter of item routes. */
export const IdParam = z.object({
  id: z
    .string()
    .max(64)
    .meta({ param: { name: "id", in: "path" } }),
});
