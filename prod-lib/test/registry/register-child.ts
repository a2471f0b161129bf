// Registers the artifact folders given on the command line into a registry, all at once, and prints
// the versions it got as JSON. Used by registry.test.ts to race registrations across processes.
import { ModelRegistry } from "../../src/index";

const [url, schema, name, ...dirs] = process.argv.slice(2);
const registry = await ModelRegistry.open(url!, { schema });
try {
  const got = await Promise.all(dirs.map((dir) => registry.register(name!, dir)));
  process.stdout.write(JSON.stringify(got.map((g) => g.version)));
} finally {
  await registry.close();
}
