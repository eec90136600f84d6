// Where the sandbox library's native helpers are. The library finds them next to its own files, which
// no longer exist once it is bundled into dist/host.js, so the build copies them to dist/vendor/ and the
// host passes their paths explicitly; in development and tests they are read from node_modules.
import { accessSync, chmodSync, constants, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const PACKAGE = '@anthropic-ai/sandbox-runtime';

export interface VendorPaths {
  /** The seccomp helper that blocks Unix sockets and nested namespaces (Linux); undefined when absent. */
  applySeccomp?: string;
  /** The JVM agent that points Java tools at the sandbox's proxy; optional. */
  javaAgentJar?: string;
  /** The folders that were searched, for error messages. */
  searched: string[];
}

/** The vendor folders to search, bundled copy first. */
export function vendorRoots(): string[] {
  const roots = [path.join(__dirname, 'vendor')];
  try {
    // createRequire keeps esbuild from resolving this at build time: in the VSIX there is no node_modules.
    roots.push(path.join(path.dirname(createRequire(__filename).resolve(`${PACKAGE}/package.json`)), 'vendor'));
  } catch {
    // Not installed as a package: only the bundled copy can serve.
  }
  return roots;
}

function archDir(arch: string): string | undefined {
  return arch === 'x64' || arch === 'arm64' ? arch : undefined;
}

export function findVendorPaths(roots: readonly string[] = vendorRoots(), arch: string = process.arch): VendorPaths {
  const out: VendorPaths = { searched: [...roots] };
  const dir = archDir(arch);
  for (const root of roots) {
    const seccomp = dir ? path.join(root, 'seccomp', dir, 'apply-seccomp') : undefined;
    if (!out.applySeccomp && seccomp && existsSync(seccomp) && ensureExecutable(seccomp)) out.applySeccomp = seccomp;
    const jar = path.join(root, 'java-proxy-agent', 'srt-proxy-agent.jar');
    if (!out.javaAgentJar && existsSync(jar)) out.javaAgentJar = jar;
  }
  return out;
}

/** A VSIX may not keep the executable bit; give it back when the file is ours to change. */
function ensureExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    try {
      chmodSync(file, 0o755);
      accessSync(file, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  }
}
