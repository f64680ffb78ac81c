// Reference hashes for tests/skills/samples/trees.json, computed the tools' own way under Node.
//
//   node tests/skills/make_reference.mjs [OPENCLAW_PACKAGE_DIR] > tests/skills/samples/reference.json
//
// fileTreeSha256 comes from OpenClaw's own digestClawHubSkillTree (imported from the installed
// package); the ClawHub fingerprint is the clawhub CLI's algorithm (listSkillFiles +
// buildSkillFingerprint: walk without dot entries and node_modules, the `ignore` package for
// .gitignore/.clawhubignore, sort with localeCompare, sha256 of "path:sha256" lines).
// Nothing here talks to a registry.
import { createHash } from "node:crypto";
import { createRequire } from "node:module";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const openclawDir =
  (process.argv[2] && process.argv[2] !== "--dirs" ? process.argv[2] : "") ||
  process.env.GATESCAN_OPENCLAW_DIR ||
  path.join(os.homedir(), ".cache/gatescan-lab/openclaw-2026.9.6/node_modules/openclaw");
const pkgDir = fs.existsSync(path.join(openclawDir, "node_modules/openclaw"))
  ? path.join(openclawDir, "node_modules/openclaw")
  : openclawDir;

const distDir = path.join(pkgDir, "dist");
const digestFile = fs.readdirSync(distDir).find((n) => /^skill-tree-digest-.*\.mjs$/.test(n));
if (!digestFile) throw new Error(`no skill-tree-digest module in ${distDir}`);
const digestModule = await import(pathToFileURL(path.join(distDir, digestFile)).href);
const digestClawHubSkillTree = Object.values(digestModule).find(
  (fn) => typeof fn === "function" && fn.name === "digestClawHubSkillTree",
);
if (!digestClawHubSkillTree) throw new Error("digestClawHubSkillTree not exported");
const require = createRequire(path.join(pkgDir, "package.json"));
const ignore = require("ignore");

const sha256 = (bytes) => createHash("sha256").update(bytes).digest("hex");

function materialise(root, tree) {
  for (const [rel, content] of Object.entries(tree)) {
    const full = path.join(root, ...rel.split("/"));
    fs.mkdirSync(path.dirname(full), { recursive: true });
    const bytes = typeof content === "string" ? Buffer.from(content, "utf8") : Buffer.from(content.b64, "base64");
    fs.writeFileSync(full, bytes);
  }
}

function clawhubFiles(root) {
  const ig = ignore();
  ig.add([".git/", "node_modules/", ".clawhub/", ".clawdhub/"]);
  for (const name of [".gitignore", ".clawhubignore", ".clawdhubignore"]) {
    try {
      ig.add(fs.readFileSync(path.join(root, name), "utf8").split(/\r?\n/));
    } catch {}
  }
  const out = [];
  const walk = (dir) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      if (entry.name.startsWith(".") || entry.name === "node_modules") continue;
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.isFile()) {
        const rel = path.relative(root, full).split(path.sep).join("/");
        if (ig.ignores(rel) || rel.split("/").some((s) => s.startsWith("."))) continue;
        out.push({ path: rel, sha256: sha256(fs.readFileSync(full)) });
      }
    }
  };
  walk(root);
  out.sort((a, b) => a.path.localeCompare(b.path));
  return out;
}

function hashDir(root) {
  const files = clawhubFiles(root);
  let skillFile = null;
  for (const marker of ["SKILL.md", "skill.md", "skills.md", "SKILL.MD"]) {
    try {
      skillFile = { path: marker, sha256: sha256(fs.readFileSync(path.join(root, marker))) };
      break;
    } catch {}
  }
  return digestClawHubSkillTree(root).then((tree) => ({
    clawhub_files: files.map((f) => f.path),
    clawhub_fingerprint: sha256(files.map((f) => `${f.path}:${f.sha256}`).join("\n")),
    file_tree_sha256: tree,
    skill_file: skillFile,
  }));
}

// `--dirs A B ...`: hash existing skill directories instead (used by the live tests).
const dirsAt = process.argv.indexOf("--dirs");
if (dirsAt > 0) {
  const out = {};
  for (const dir of process.argv.slice(dirsAt + 1)) out[dir] = await hashDir(dir);
  process.stdout.write(`${JSON.stringify(out)}\n`);
  process.exit(0);
}

const trees = JSON.parse(fs.readFileSync(path.join(here, "samples/trees.json"), "utf8"));
const work = fs.mkdtempSync(path.join(os.tmpdir(), "gatescan-ref-"));
const result = { generated_by: "tests/skills/make_reference.mjs", openclaw: JSON.parse(fs.readFileSync(path.join(pkgDir, "package.json"), "utf8")).version, trees: {}, names: [] };
const names = new Set();
for (const [name, tree] of Object.entries(trees)) {
  const root = path.join(work, name);
  materialise(root, tree);
  result.trees[name] = await hashDir(root);
  for (const rel of Object.keys(tree)) {
    names.add(rel);
    for (const seg of rel.split("/")) names.add(seg);
  }
}
fs.rmSync(work, { recursive: true, force: true });
const extra = ["a", "A", "b", "B", "aa", "aA", "Aa", "AA", "a1", "a10", "a2", "a-1", "a_1", "a.1", "a 1", "a/1",
  "ß", "ss", "SS", "æ", "ae", "AE", "Æ", "œ", "oe", "ø", "o", "ö", "ő", "ò", "đ", "d", "ł", "l", "ı", "i", "İ",
  "ñ", "n", "ŋ", "þ", "z", "é", "è", "ê", "ë", "e", "É", "café", "cafe", "Café", "naïve", "naive", "façade",
  "日本", "中文", "한국어", "ελληνικά", "Ελληνικά", "русский", "Русский", "עברית", "العربية", "१२३", "١٢٣", "123",
  "①", "½", "™", "©", "€", "£", "–", "—", "…", "•", "“quote”", "«x»", "¿", "¡", "°", "±", "×", "÷",
  "🙂", "😀", "x🙂", "x😀", "ﬁ", "fi", "ﬀ", "ff", "Ⅻ", "xii", "ｆｕｌｌ", "full", "\u00a0nbsp", " space"];
for (const n of extra) names.add(n);
result.names = [...names].sort((a, b) => a.localeCompare(b));
process.stdout.write(`${JSON.stringify(result, null, 1)}\n`);
