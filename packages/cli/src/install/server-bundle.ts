/**
 * The self-contained server this client carries for hosts (scripts/build-bundles.mjs makes it): its manifest, the
 * name of the folder it installs into, and the bytes uploaded for one platform.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

export interface BundleFile {
  /** Relative to the bundle's folder, with '/' separators. */
  readonly path: string;
  readonly size: number;
  readonly sha256: string;
  readonly mode: number;
  /** `linux-x64` etc. for a native module; absent for files every platform gets. */
  readonly platform?: string;
}

export interface BundleManifest {
  readonly name: 'tsmosh-server';
  readonly version: string;
  readonly protocol: number;
  /** The Node.js range the bundle runs on, as package.json's engines.node (">=20.19"). */
  readonly node: string;
  readonly platforms: readonly string[];
  readonly files: readonly BundleFile[];
}

/** What one install uploads: the files of one platform, their expected hashes, and the gzipped bytes. */
export interface UploadPayload {
  readonly files: readonly BundleFile[];
  /** gzip of the files' bytes, concatenated in `files` order. */
  readonly compressed: Uint8Array;
}

export class ServerBundle {
  private constructor(
    readonly dir: string,
    readonly manifest: BundleManifest,
    /**
     * The folder name on the host: the version and the first 16 hex digits of the manifest's SHA-256, so a rebuilt
     * bundle of the same version never reuses an install of other bytes.
     */
    readonly installId: string,
  ) {}

  /** Reads the bundle in `dir`; throws with what to do if it is missing or not a tsmosh-server bundle. */
  static read(dir: string): ServerBundle {
    let text: string;
    try {
      text = readFileSync(join(dir, 'manifest.json'), 'utf8');
    } catch {
      throw new Error(`no server bundle in ${dir} (build it with \`npm run build\` in the tsmosh checkout)`);
    }
    const manifest = JSON.parse(text) as BundleManifest;
    if (manifest.name !== 'tsmosh-server' || !Array.isArray(manifest.files) || typeof manifest.version !== 'string') {
      throw new Error(`${join(dir, 'manifest.json')} is not a tsmosh-server bundle manifest`);
    }
    const digest = createHash('sha256').update(text).digest('hex').slice(0, 16);
    return new ServerBundle(dir, manifest, `${manifest.version}-${digest}`);
  }

  /** The files a host of `platform` (e.g. `linux-x64`) gets: the common ones and its own native module. */
  filesFor(platform: string): BundleFile[] {
    return this.manifest.files.filter((file) => file.platform === undefined || file.platform === platform);
  }

  /**
   * The upload for `platform`. The bytes come from disk as they are, and the hashes from the manifest: the host
   * compares the two, so a damaged or altered bundle is refused there, never installed.
   */
  payload(platform: string): UploadPayload {
    const files = this.filesFor(platform);
    const contents = files.map((file) => readFileSync(join(this.dir, ...file.path.split('/'))));
    return { files, compressed: gzipSync(Buffer.concat(contents), { level: 9 }) };
  }
}
