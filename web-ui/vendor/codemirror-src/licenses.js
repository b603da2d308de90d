// Prints the licence of every package bundled into codemirror.js (all MIT), for codemirror.LICENSE.txt.
const fs = require("fs");
const path = require("path");
const root = path.join(__dirname, "node_modules");
const names = [];
for (const entry of fs.readdirSync(root)) {
  if (entry.startsWith(".")) continue;
  if (entry.startsWith("@")) {
    for (const sub of fs.readdirSync(path.join(root, entry))) names.push(`${entry}/${sub}`);
  } else names.push(entry);
}
for (const name of names.sort()) {
  if (name === "esbuild" || name.startsWith("@esbuild/")) continue;
  const dir = path.join(root, name);
  const pkg = JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8"));
  const file = fs.readdirSync(dir).find((f) => /^licen[cs]e/i.test(f));
  console.log(`==== ${name}@${pkg.version} (${pkg.license}) ====`);
  console.log(file ? fs.readFileSync(path.join(dir, file), "utf8").trim() : `License: ${pkg.license}`);
  console.log();
}
