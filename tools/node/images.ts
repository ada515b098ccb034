/**
 * The real node's images, built here with podman and no registry but the package registries: a Debian
 * root filesystem (debootstrap), the Node 24 base the app's Dockerfile takes as NODE_IMAGE, the app from
 * `app/Dockerfile` unchanged, pgbackup from `backup/Dockerfile` unchanged (with this machine's Go as
 * GO_IMAGE and its module cache), stand-ins for the official postgres and redis images from Debian's
 * packages (tools/node/images/*), and the sandbox image from kubeship's pause. Each is tagged with a key of its
 * inputs, so a later run reuses what podman already holds; each is saved as an OCI archive that the node
 * imports into containerd.
 */
import { execFile } from "node:child_process";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { cacheRoot, ROOT } from "../cache";

/** The Debian release of every image, and the mirror debootstrap and apt use. */
const DEBIAN = { suite: "bookworm", mirror: "http://deb.debian.org/debian" };
/** npm in the Node base image (the runtime is the one running this code: Node 24 from the npm registry). */
const NPM_VERSION = "11.21.2";
const HERE = path.join(ROOT, "tools", "node", "images");

export type Log = (line: string) => void;

/** An image in podman's storage, and the OCI archive the node imports. */
export interface BuiltImage {
    /** `localhost/kubeship-<name>:<tag>`, as podman tagged it. */
    ref: string;
    archive: string;
}

export interface NodeImages {
    pause: BuiltImage;
    postgres: BuiltImage;
    redis: BuiltImage;
    /** The app, and a second build of it that differs only by a label: a new digest to roll out. */
    app: BuiltImage;
    appNext: BuiltImage;
    /** pgbackup, for the Postgres pod's archiving and restore and the base-backup Job. */
    pgbackup: BuiltImage;
}

function run(command: string, args: string[], opts: { cwd?: string; log?: Log; timeoutMs?: number } = {}): Promise<string> {
    opts.log?.(`$ ${command} ${args.join(" ")}`);
    return new Promise((resolve, reject) => {
        execFile(command, args, { cwd: opts.cwd, maxBuffer: 64 * 1024 * 1024, timeout: opts.timeoutMs ?? 1_200_000 }, (error, stdout, stderr) => {
            if (!error) return resolve(stdout);
            const missing = (error as NodeJS.ErrnoException).code === "ENOENT";
            reject(
                new Error(
                    missing
                        ? `${command} is not installed: apt-get install podman buildah runc debootstrap (the real node's images are built with them)`
                        : `${command} ${args.slice(0, 2).join(" ")} failed: ${stderr.trim().split("\n").slice(-15).join("\n")}`,
                ),
            );
        });
    });
}

const podman = (args: string[], opts: { cwd?: string; log?: Log } = {}) => run("podman", ["--runtime", "runc", ...args], opts);

async function exists(ref: string): Promise<boolean> {
    try {
        await podman(["image", "exists", ref]);
        return true;
    } catch {
        return false;
    }
}

function key(parts: (string | Buffer)[]): string {
    const hash = crypto.createHash("sha256");
    for (const part of parts) hash.update(part).update("\0");
    return hash.digest("hex").slice(0, 16);
}

/** The files of an image folder under tools/node/images, for its key. */
function folderParts(name: string): Buffer[] {
    const dir = path.join(HERE, name);
    return fs
        .readdirSync(dir)
        .sort()
        .flatMap(f => [Buffer.from(f), fs.readFileSync(path.join(dir, f))]);
}

/** A scratch build context: the image folder's files plus `extra` (name -> source path). */
function context(name: string, extra: Record<string, string> = {}): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), `kubeship-image-${name}-`));
    fs.cpSync(path.join(HERE, name), dir, { recursive: true });
    for (const [file, source] of Object.entries(extra)) fs.cpSync(source, path.join(dir, file), { recursive: true, dereference: true });
    return dir;
}

/** The OCI archive of an image in the cache, named by its tag. */
function archiveFile(ref: string): string {
    return path.join(cacheRoot(), "images", `${ref.replace(/^localhost\//, "").replace(/[:/]/g, "_")}.tar`);
}

/** Saves an image as an OCI archive in the cache (once per tag). */
async function archive(ref: string, log: Log): Promise<BuiltImage> {
    const file = archiveFile(ref);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    if (!fs.existsSync(file)) {
        await podman(["save", "--format", "oci-archive", "-o", `${file}.partial`, ref], { log });
        fs.renameSync(`${file}.partial`, file);
    }
    return { ref, archive: file };
}

/** Builds `ref` from a Containerfile in `dir` unless podman has it. */
async function build(ref: string, dir: string, args: string[], log: Log): Promise<void> {
    try {
        if (!(await exists(ref))) await podman(["build", "--network", "host", "-t", ref, ...args, dir], { log });
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

/** The Debian root filesystem, as an image: debootstrap's minimal variant, imported. */
async function debian(log: Log): Promise<string> {
    const ref = `localhost/kubeship-debian:${DEBIAN.suite}-${key([DEBIAN.suite, DEBIAN.mirror, "minbase"])}`;
    if (await exists(ref)) return ref;
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "kubeship-debootstrap-"));
    try {
        await run("debootstrap", ["--variant=minbase", DEBIAN.suite, root, DEBIAN.mirror], { log });
        fs.rmSync(path.join(root, "var", "cache", "apt", "archives"), { recursive: true, force: true });
        const tar = `${root}.tar`;
        await run("tar", ["-C", root, "-cf", tar, "."], { log });
        await podman(["import", tar, ref], { log });
        fs.rmSync(tar);
    } finally {
        fs.rmSync(root, { recursive: true, force: true });
    }
    return ref;
}

/** npm at NPM_VERSION from the registry, into the cache. */
async function npmPackage(log: Log): Promise<string> {
    const prefix = path.join(cacheRoot(), `npm-${NPM_VERSION}`);
    const dir = path.join(prefix, "node_modules", "npm");
    if (!fs.existsSync(path.join(dir, "package.json"))) {
        await run("npm", ["install", "--prefix", prefix, "--no-save", "--no-audit", "--no-fund", "--loglevel=error", `npm@${NPM_VERSION}`], { log });
    }
    return dir;
}

/** Builds (or finds) every image and saves each as an OCI archive. `pauseBinary` comes from the tool cache. */
export async function buildImages(pauseBinary: string, log: Log): Promise<NodeImages> {
    const base = await debian(log);
    const ca = "/etc/ssl/certs/ca-certificates.crt";

    const pause = `localhost/kubeship-pause:${key([...folderParts("pause"), fs.readFileSync(pauseBinary)])}`;
    await build(pause, context("pause", { pause: pauseBinary }), [], log);

    const standIn = async (name: "postgres" | "redis") => {
        const ref = `localhost/kubeship-${name}-standin:${key([base, ...folderParts(name)])}`;
        if (!(await exists(ref))) await build(ref, context(name), ["--build-arg", `BASE=${base}`], log);
        return ref;
    };
    const postgres = await standIn("postgres");
    const redis = await standIn("redis");

    const node = process.execPath;
    const nodeBase = `localhost/kubeship-node:${process.versions.node}-${key([base, ...folderParts("node"), NPM_VERSION, fs.readFileSync(node), fs.readFileSync(ca)])}`;
    if (!(await exists(nodeBase))) {
        const npm = await npmPackage(log);
        await build(nodeBase, context("node", { node, npm, "ca-certificates.crt": ca }), ["--build-arg", `BASE=${base}`], log);
    }

    // The app from its Dockerfile, unchanged: the project root is the context, as for `docker build`.
    // podman's layer cache makes a rebuild of unchanged sources take seconds.
    const appArgs = ["-f", path.join(ROOT, "app", "Dockerfile"), "--build-arg", `NODE_IMAGE=${nodeBase}`];
    const app = "localhost/kubeship-app:e2e";
    const appNext = "localhost/kubeship-app:e2e-next";
    await podman(["build", "--network", "host", "-t", app, ...appArgs, ROOT], { log });
    await podman(["build", "--network", "host", "-t", appNext, "--label", "dev.kubeship.e2e=next", ...appArgs, ROOT], { log });

    const pgbackup = await pgbackupImage(base, ca, log);

    // The app's archives change with every source change: saved anew each run.
    for (const ref of [app, appNext]) fs.rmSync(archiveFile(ref), { force: true });
    return {
        pause: await archive(pause, log),
        postgres: await archive(postgres, log),
        redis: await archive(redis, log),
        app: await archive(app, log),
        appNext: await archive(appNext, log),
        pgbackup: await archive(pgbackup, log),
    };
}

/**
 * pgbackup from backup/Dockerfile, unchanged but for GO_IMAGE: a Go image made of this machine's Go. The
 * build mounts the machine's module cache, where the pgbackup tool's build put the modules, and reaches
 * no network. Tagged by the sources' key, so an unchanged tool is not rebuilt.
 */
async function pgbackupImage(base: string, ca: string, log: Log): Promise<string> {
    // The Go that builds the tools (on PATH, as for tools/builder.ts), and its module cache, filled for
    // backup/ here (the Go module proxy, or nothing when the cache has it).
    const go = JSON.parse(await run("go", ["env", "-json", "GOROOT", "GOMODCACHE", "GOVERSION"], {})) as Record<string, string>;
    const sources = path.join(ROOT, "backup");
    await run("go", ["mod", "download"], { cwd: sources, log });
    const version = go.GOVERSION;
    const root = go.GOROOT;
    const goImage = `localhost/kubeship-go:${version}-${key([base, ...folderParts("go"), version])}`;
    if (!(await exists(goImage))) await build(goImage, context("go", { go: root, "ca-certificates.crt": ca }), ["--build-arg", `BASE=${base}`], log);
    const files = fs.readdirSync(sources).sort();
    const ref = `localhost/kubeship-pgbackup:${key([goImage, ...files.flatMap(f => [Buffer.from(f), fs.readFileSync(path.join(sources, f))])])}`;
    if (!(await exists(ref))) {
        await podman(["build", "--network", "none", "-v", `${go.GOMODCACHE}:/go/pkg/mod`, "--build-arg", `GO_IMAGE=${goImage}`, "-t", ref, sources], { log });
    }
    return ref;
}
