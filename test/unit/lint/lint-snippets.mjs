// Lints snippets with the project's real ESLint config through ESLint's Node API, out of Jest's
// process: ESLint loads eslint.config.mjs with a dynamic import(), which Jest's module sandbox
// refuses without --experimental-vm-modules. Reads [{ filePath, code }] as JSON on stdin and
// prints, for each snippet, its messages as "line:rule" (or "line:fatal: message" for a parsing error).
import { ESLint } from 'eslint';
import { text } from 'node:stream/consumers';

const snippets = JSON.parse(await text(process.stdin));
const eslint = new ESLint({ cwd: process.argv[2] });
const results = [];
for (const { filePath, code } of snippets) {
  const [result] = await eslint.lintText(code, { filePath });
  results.push(result.messages.map((m) => `${m.line}:${m.ruleId ?? `fatal: ${m.message}`}`));
}
process.stdout.write(JSON.stringify(results));
