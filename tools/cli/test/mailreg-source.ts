// What bin/mailreg.js does, on the sources (test helper, not built).
import { main } from "../src/main.ts";

process.exitCode = await main(process.argv.slice(2));
