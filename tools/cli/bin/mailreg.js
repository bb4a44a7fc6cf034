#!/usr/bin/env node
// The `mailreg` command. Runs the built CLI (`npm run build` at the repository root builds it).
import { main } from "../dist/main.js";

process.exitCode = await main(process.argv.slice(2));
