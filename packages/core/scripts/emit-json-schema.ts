// Writes config.schema.json (the JSON Schema of mailreg.config.json) from the zod ConfigSchema, so
// editors can complete and check config files. Run by `npm run build`; a test fails when the
// committed file is out of date.
import { writeFile } from "node:fs/promises";
import { configJsonSchema } from "../src/config-schema.ts";

const target = new URL("../config.schema.json", import.meta.url);
await writeFile(target, `${JSON.stringify(configJsonSchema(), null, 2)}\n`);
console.log(`wrote ${target.pathname}`);
