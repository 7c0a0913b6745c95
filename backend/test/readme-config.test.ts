/** The README's configuration table is checked against the config schema: every variable is documented. */
import fs from "node:fs";
import path from "node:path";
import { CONFIG_KEYS } from "../src/config";

describe("README configuration table", () => {
  it("documents every variable the config schema knows", () => {
    const readme = fs.readFileSync(path.resolve(__dirname, "../../README.md"), "utf8");
    const table = readme.slice(readme.indexOf("## Configuration"), readme.indexOf("## Error codes"));
    const missing = CONFIG_KEYS.filter((k) => !table.includes(`\`${k}\``));
    expect(missing).toEqual([]);
  });
});
