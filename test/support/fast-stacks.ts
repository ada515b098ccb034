/**
 * Pulumi records `new Error().stack` (unbounded depth) for every resource and promise, for source
 * positions and leak reports. Under ts-node each such stack goes through source-map-support, which made
 * a 80-resource run take ~1 s. Tests and the render need neither, so message-less plain Errors (Pulumi's
 * markers) get V8's unmapped frames; every real error keeps its source-mapped trace.
 */
type Prepare = (error: Error, frames: NodeJS.CallSite[]) => unknown;

const mapped: Prepare | undefined = Error.prepareStackTrace?.bind(Error);
/** One V8 frame as `fn (file:line:column)`, the shape Pulumi's own stack parser reads. */
const frame = (f: NodeJS.CallSite) => {
    const location = `${f.getFileName() ?? "<anonymous>"}:${f.getLineNumber() ?? 0}:${f.getColumnNumber() ?? 0}`;
    const fn = f.getFunctionName();
    return `    at ${fn ? `${fn} (${location})` : location}`;
};
const plain = (error: Error, frames: NodeJS.CallSite[]) => [String(error), ...frames.map(frame)].join("\n");

Error.prepareStackTrace = (error: Error, frames: NodeJS.CallSite[]) =>
    error.message === "" && Object.getPrototypeOf(error) === Error.prototype ? plain(error, frames) : (mapped ?? plain)(error, frames);
