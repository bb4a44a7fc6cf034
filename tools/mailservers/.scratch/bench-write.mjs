import fs from "node:fs";
const dir = fs.mkdtempSync("/tmp/wbench-");
const data = "x".repeat(4000);
for (const variant of ["write", "write+chown+utimes", "fd"]) {
  fs.mkdirSync(`${dir}/${variant}`);
  const t = performance.now();
  for (let i = 0; i < 5000; i++) {
    const f = `${dir}/${variant}/${i}`;
    if (variant === "fd") { const fd = fs.openSync(f, "wx", 0o600); fs.writeSync(fd, data); fs.fchownSync(fd, 8, 8); fs.futimesSync(fd, 1e9, 1e9); fs.closeSync(fd); }
    else { fs.writeFileSync(f, data); if (variant !== "write") { fs.chownSync(f, 8, 8); fs.utimesSync(f, 1e9, 1e9); } }
  }
  console.log(variant, Math.round(5000 / ((performance.now() - t) / 1000)), "/s");
}
fs.rmSync(dir, { recursive: true });
