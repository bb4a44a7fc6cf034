// drizzle-kit reads this to generate the SQL migrations in drizzle/ from src/schema.ts:
// `npx drizzle-kit generate` from this folder (offline). The store applies them at open (src/migrate.ts).
import { defineConfig } from "drizzle-kit";

export default defineConfig({
  dialect: "turso",
  schema: "./src/schema.ts",
  out: "./drizzle",
});
